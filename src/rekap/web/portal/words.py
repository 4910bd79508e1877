"""Every text of the portal: (Indonesian, English). A test checks each key the templates use."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    # Frame
    "skip": ("Lompat ke isi", "Skip to content"),
    "menu": ("Menu", "Menu"),
    "search": ("Cari", "Search"),
    "search_label": ("Cari wilayah atau TPS", "Search a place or polling station"),
    "search_placeholder": ("Desa, kecamatan, kota, TPS…", "Village, district, city, TPS…"),
    "search_results": ("Hasil pencarian", "Search results"),
    "anomalies": ("Anomali", "Anomalies"),
    "open_data": ("Data terbuka", "Open data"),
    "login": ("Masuk", "Log in"),
    "other_language": ("English", "Bahasa Indonesia"),
    "footer": (
        "rekap: setiap angka dengan buktinya, setiap perubahan tercatat.",
        "rekap: every number with its evidence, every change on record.",
    ),
    "recount_yourself": ("Hitung ulang sendiri", "Recount it yourself"),
    "change_log": ("Log perubahan", "Change log"),
    "breadcrumb": ("Jejak wilayah", "Breadcrumb"),
    "back_home": ("Kembali ke halaman nasional", "Back to the national page"),
    "not_found": ("Tidak ditemukan", "Not found"),
    "not_found_region": (
        "Tidak ada wilayah dengan kode {kode}.",
        "No region has the code {kode}.",
    ),
    "not_found_tps": (
        "Tidak ada TPS dengan kode {kode}.",
        "No polling station has the code {kode}.",
    ),
    "not_found_search": (
        "Cari wilayah dengan nama atau kodenya",
        "Find a place by its name or code",
    ),
    "forbidden": ("Tidak diizinkan", "Not allowed"),
    "refused": ("Ditolak", "Refused"),
    "invalid_request": ("Alamat tidak valid", "The address is not valid"),
    # Levels
    "nasional": ("Nasional", "National"),
    "title_nasional": ("Hasil Pilpres 2024: Nasional", "2024 presidential result: national"),
    "level_0": ("Nasional", "National"),
    "level_2": ("Provinsi", "Province"),
    "level_4": ("Kabupaten/Kota", "Regency/City"),
    "level_6": ("Kecamatan", "District"),
    "level_10": ("Desa/Kelurahan", "Village"),
    "level_13": ("TPS", "Polling station"),
    "children_0": ("Provinsi", "Provinces"),
    "children_2": ("Kabupaten/Kota", "Regencies and cities"),
    "children_4": ("Kecamatan", "Districts"),
    "children_6": ("Desa/Kelurahan", "Villages"),
    "children_10": ("TPS", "Polling stations"),
    # Region page
    "result_ppwp": ("Perolehan suara Pilpres (PPWP)", "Presidential vote (PPWP)"),
    "result_table": ("Perolehan suara per paslon", "Votes per ticket"),
    "chart_title": ("Perolehan suara per paslon, {region}", "Votes per ticket, {region}"),
    "paslon": ("Paslon", "Ticket"),
    "votes": ("Suara", "Votes"),
    "suara_sah": ("Suara sah", "Valid votes"),
    "suara_tidak_sah": ("Suara tidak sah", "Invalid votes"),
    "suara_sah_short": ("Sah", "Valid"),
    "suara_tidak_sah_short": ("Tdk sah", "Invalid"),
    "held_note": (
        "{votes} suara dari {tps} TPS ditahan: ada temuan pemblokir, belum dihitung.",
        "{votes} votes from {tps} polling stations are held back by blocking findings.",
    ),
    "see_anomalies": ("Lihat anomali", "See the anomalies"),
    "held_votes": ("Ditahan (tidak dihitung)", "Held (not counted)"),
    "anomalies_here": ("Anomali di wilayah ini", "Anomalies in this region"),
    "coverage": ("Kemajuan", "Progress"),
    "cov_expected": ("TPS seharusnya", "TPS expected"),
    "cov_received": ("Foto/data diterima", "Received"),
    "cov_read": ("Angka terbaca", "Numbers read"),
    # verified: the machine read the whole form with no blocking finding, or people entered
    # the numbers (the open data's `verified`); not people alone
    "cov_verified": ("Terverifikasi (mesin atau orang)", "Verified (by machine or people)"),
    # of those, the TPS whose numbers people entered (two agreeing verifiers or an
    # adjudicator: the open data's `verified_by_people`, `source_kind` `entry`)
    "cov_verified_by_people": ("Diverifikasi orang", "Verified by people"),
    # counted: in the totals (the open data's `counted`), not the `published` stage
    "cov_counted": ("Dihitung (masuk total)", "Counted (in the totals)"),
    "cov_blocking": ("Dengan masalah", "With problems"),
    "cov_waiting": ("Menunggu verifikasi", "Awaiting verification"),
    "cov_sum": (
        "Angka terbaca = dihitung + dengan masalah (ditahan) + menunggu verifikasi orang.",
        "Numbers read = counted + with problems (held) + awaiting verification by people.",
    ),
    "cov_progress": ("{share} TPS sudah dihitung", "{share} of polling stations counted"),
    "cov_unlisted": (
        "Temuan: {n} TPS yang dihitung tidak ada dalam daftar TPS wilayah ini. Suaranya masuk "
        "total, tetapi TPS-nya tidak masuk persentase di atas.",
        "Finding: counted polling stations not in this region's list of polling stations: "
        "{n}. Their votes are in the totals; the stations are not in the share above.",
    ),
    "unlisted_short": ("+{n} di luar daftar", "+{n} not listed"),
    "turnout_line": (
        "Partisipasi {share}: {voters} pemilih dari DPT {dpt}. DPT dan pemilih ini hanya dari "
        "{tps} TPS yang dihitung dan mencatat keduanya: DPT sebuah TPS hanya diketahui dari "
        "formulirnya sendiri.",
        "Turnout {share}: {voters} voters of a DPT of {dpt}. This DPT and these voters are "
        "only those of the counted polling stations that give both ({tps}): a polling "
        "station's DPT is known only from its own form.",
    ),
    "turnout_short": ("Partisipasi", "Turnout"),
    "dpt_short": ("DPT {n} dari {tps} TPS dihitung", "DPT {n} of {tps} counted TPS"),
    "turnout_note": (
        "Partisipasi dan DPT tiap baris hanya dari TPS-nya yang dihitung (DPT sebuah TPS hanya "
        "diketahui dari formulirnya sendiri).",
        "Each row's turnout and DPT are only those of its counted polling stations (a polling "
        "station's DPT is known only from its own form).",
    ),
    "map_title": ("Peta {level}: warna paslon terdepan", "Map of {level}: colour of the leader"),
    "legend_tie": ("Seri", "Tie"),
    "legend_none": ("Belum ada suara", "No votes yet"),
    "name": ("Nama", "Name"),
    "tps_counted": ("TPS dihitung", "TPS counted"),
    "held_short": ("{n} ditahan", "{n} held"),
    "waiting_short": ("{n} menunggu verifikasi", "{n} awaiting verification"),
    "status": ("Status", "Status"),
    "findings": ("Temuan", "Findings"),
    "status_findings": ("Status, temuan", "Status, findings"),
    "n_blocking": ("{n} pemblokir", "{n} blocking"),
    "n_warnings": ("{n} peringatan", "{n} warnings"),
    "downloads": ("Unduh", "Download"),
    "bulk_data": ("Data lengkap (bulk)", "Bulk open data"),
    "data_version": (
        "Data sampai log perubahan #{version}.",
        "Data as of change-log record #{version}.",
    ),
    # Status of a TPS
    "status_none": ("Belum ada data", "No data yet"),
    "status_received": ("Foto diterima", "Photos received"),
    "status_incomplete": ("Foto belum lengkap", "Photos incomplete"),
    "status_counted": ("Dihitung", "Counted"),
    "status_held": ("Ditahan (temuan)", "Held (findings)"),
    "status_needs_verification": ("Menunggu verifikasi", "Awaiting verification"),
    "status_adjudication": ("Adjudikasi", "Adjudication"),
    "source_photo": ("dibaca mesin dari foto", "machine-read from the photos"),
    "source_entry": ("diverifikasi dua orang", "verified by two people"),
    "source_import": ("impor data Sirekap", "imported from Sirekap"),
    "severity": ("Tingkat", "Severity"),
    "severity_blocking": ("pemblokir", "blocking"),
    "severity_warning": ("peringatan", "warning"),
    # TPS page
    "machine_hidden": (
        "Formulir ini sedang dientri dua verifikator tanpa saling melihat; bacaan mesin "
        "disembunyikan sampai selesai.",
        "Two verifiers are entering this form blind; the machine's reading is hidden "
        "until they finish.",
    ),
    "findings_on_reading": (
        "Temuan ini dari bacaan mesin, sebelum diverifikasi.",
        "These findings are of the machine's reading, before verification.",
    ),
    "numbers": ("Setiap angka dan buktinya", "Every number and its evidence"),
    "numbers_note": (
        "Potongan foto di samping setiap angka; klik untuk foto utuh.",
        "The photo crop beside every number; click it for the whole photo.",
    ),
    "field": ("Isian", "Field"),
    "crop": ("Potongan foto", "Crop"),
    "crop_alt": ("Potongan foto: {field}", "Photo crop: {field}"),
    "crop_link_alt": (
        "Potongan foto: {field}; buka foto utuh halaman {page}",
        "Photo crop: {field}; open the whole photo of page {page}",
    ),
    "no_crop": ("tidak ada potongan", "no crop"),
    "machine": ("Bacaan mesin", "Machine reading"),
    "value": ("Angka berlaku", "Current value"),
    "abstained": ("ragu", "abstained"),
    "read_alone": ("foto ini saja: {v}", "this photo alone: {v}"),
    "read_alone_title": (
        "Angka ini diputuskan bersama halaman lain formulir ini (jumlah-jumlahnya harus cocok)",
        "Decided with the form's other pages (their sums must agree)",
    ),
    "page_n": ("Halaman {n}", "Page {n}"),
    "history_n": ("{n} perubahan", "{n} changes"),
    "history_1": ("1 perubahan", "1 change"),
    "photos": ("Foto formulir", "Form photos"),
    "photo_alt": ("Foto {id}: halaman {page}", "Photo {id}: page {page}"),
    "received_at": ("diterima", "received"),
    "sirekap_photo": (
        "Foto Sirekap halaman {n} (situs KPU)",
        "Sirekap photo of page {n} (KPU site)",
    ),
    "external_note": (
        "Foto ini ada di server KPU; rekap tidak memuatnya.",
        "These photos are on KPU's server; rekap does not load them.",
    ),
    "no_photos": ("Belum ada foto.", "No photos yet."),
    "history": ("Riwayat lengkap", "Full history"),
    "versions": ("Setiap versi angka TPS ini", "Each version of this TPS's numbers"),
    "versions_note": (
        "Angka TPS ini setelah setiap perubahan, dengan catatan log yang membuatnya; versi "
        "terakhir adalah angka yang berlaku.",
        "This TPS's numbers after each change, with the change-log records that made it; the "
        "last version is the current one.",
    ),
    "versions_none": ("Belum ada angka.", "No numbers yet."),
    "version_n": ("Versi {n}", "Version {n}"),
    "version_current": ("(berlaku)", "(current)"),
    "version_records": (
        "Catatan log perubahan #{first} sampai #{last}, dengan hash-nya",
        "Change-log records #{first} to #{last}, with their hashes",
    ),
    "version_numbers": ("Semua angka versi {n}", "Every number of version {n}"),
    "version_changed": ("berubah di versi ini", "changed in this version"),
    "version_set": ("{n} angka diisi", "{n} numbers set"),
    "changes_desa": ("Perubahan di desa {desa}", "What changed in {desa}"),
    "no_history": ("Belum ada perubahan.", "No changes yet."),
    "history_json": ("Riwayat sebagai JSON", "History as JSON"),
    "log_record": (
        "Catatan log perubahan #{n}, dengan hash-nya",
        "Change-log record #{n}, with its hashes",
    ),
    "when": ("Kapan", "When"),
    "who": ("Siapa", "Who"),
    "what": ("Apa", "What"),
    "why": ("Mengapa", "Why"),
    "photo_state_received": ("diterima", "received"),
    "photo_state_read": ("dibaca", "read"),
    "photo_state_checked": ("diperiksa", "checked"),
    "photo_state_accepted": ("diterima mesin", "accepted"),
    "photo_state_needs_verification": ("perlu verifikasi", "needs verification"),
    "photo_state_failed": ("gagal dibaca", "failed"),
    "photo_state_verified": ("diverifikasi", "verified"),
    "photo_state_published": ("dipublikasi", "published"),
    # Search
    "search_title": ("Cari wilayah", "Find a place"),
    "search_count": ("{n} hasil untuk “{q}”", "{n} results for “{q}”"),
    "search_none": ("Tidak ada wilayah bernama “{q}”.", "No place is called “{q}”."),
    "search_help": (
        "Ketik nama desa, kecamatan, kabupaten/kota atau provinsi, atau kodenya; untuk TPS, "
        "nomornya dengan nama desanya (mis. “TPS 3 Labibia”).",
        "Type the name of a village, district, regency/city or province, or its code; for a "
        "polling station, its number with its village's name (e.g. “TPS 3 Labibia”).",
    ),
    # Anomalies
    "anomalies_intro": (
        "TPS yang angkanya melanggar aturan pemeriksaan, per aturan. Temuan pemblokir menahan "
        "angka dari penghitungan sampai diverifikasi; peringatan minta dicek.",
        "Polling stations whose numbers break a rule, by rule. Blocking findings hold the "
        "numbers out of the count until verified; warnings ask for a look.",
    ),
    "rules_link": ("Daftar aturan", "The rules"),
    "rule": ("Aturan", "Rule"),
    "what_it_checks": ("Yang diperiksa", "What it checks"),
    "back_to": ("Kembali ke {name}", "Back to {name}"),
    "all_rules": ("Semua aturan", "All rules"),
    "on_reading": ("bacaan mesin", "machine reading"),
    "see_all": ("Lihat semua {n}", "See all {n}"),
    "no_anomalies": ("Tidak ada anomali.", "No anomalies."),
    # Open data
    "data_intro": (
        "Semua angka rekap dapat diunduh, diperiksa tanda tangannya dan dihitung ulang tanpa "
        "mempercayai server ini.",
        "Every number rekap holds can be downloaded, its signature checked and recounted "
        "without trusting this server.",
    ),
    "snapshot_latest": ("Snapshot terbaru:", "Latest snapshot:"),
    "file": ("Berkas", "File"),
    "size": ("Ukuran (byte)", "Size (bytes)"),
    "no_snapshot": ("Belum ada snapshot yang diterbitkan.", "No snapshot published yet."),
    "every_page_data": (
        "Setiap halaman wilayah dan TPS juga tersedia sebagai CSV dan JSON (tautan di bawah "
        "halaman).",
        "Every region and polling-station page is also CSV and JSON (links at the foot of "
        "each page).",
    ),
    "recount_step_address": (
        "Hitung ulang langsung dari alamat ini: tanda tangan, hash, setiap agregat dan log "
        "perubahan. --bulk-only hanya mengambil manifest dan berkas yang ditandatanganinya "
        "(data bulk, log); tanpa itu setiap berkas diambil, pohon JSON juga:",
        "Recount straight from this address: the signature, the hashes, every aggregate and "
        "the change log. --bulk-only fetches only the manifest and the files it signs (the "
        "bulk data, the log); without it every file is fetched, the JSON trees too:",
    ),
    "recount_step_key": (
        "public-key.pem di dalam snapshot hanya membuktikan snapshot utuh, bukan siapa yang "
        "menandatanganinya: minta kunci penerbit lewat jalur lain dan sematkan.",
        "The snapshot's own public-key.pem proves it intact, not who signed it: get the "
        "publisher's key some other way and pin it.",
    ),
    "recount_key_id": (
        "Snapshot terbaru ditandatangani kunci",
        "The latest snapshot is signed by key",
    ),
    "recount_step_download": (
        "Dengan salinan utuh folder snapshot, alat standar memeriksa setiap hash; dengan "
        "berkas di atas saja, lewati yang tidak diunduh:",
        "With a whole copy of the snapshot folder, standard tools check every hash; with "
        "only the files above, skip the ones not downloaded:",
    ),
    "recount_step_duckdb": (
        "Atau hitung sendiri dengan alat apa pun, misalnya DuckDB:",
        "Or count it yourself with any tool, e.g. DuckDB:",
    ),
    "recount_step_log": (
        "Setiap perubahan angka ada di log perubahan berantai hash, dengan kunci publik server:",
        "Every change of a number is in the hash-chained change log, with the server's public key:",
    ),
    "rules_title": ("Aturan pemeriksaan", "Validation rules"),
    # Login
    "login_title": ("Masuk petugas", "Staff login"),
    "login_intro": (
        "Tempel token yang diberikan admin. Token disimpan dalam cookie HttpOnly di peramban "
        "ini saja.",
        "Paste the token your admin gave you. It is kept in an HttpOnly cookie in this "
        "browser only.",
    ),
    "login_ended_entry": (
        "Sesi masuk Anda berakhir sebelum entri tersimpan. Masuk lagi: angka yang Anda ketik "
        "dikembalikan ke formulirnya untuk diperiksa lalu disimpan (belum ada yang disimpan).",
        "Your login ended before the entry was saved. Log in again: the numbers you typed are "
        "put back in their form for you to check and save (nothing is saved yet).",
    ),
    "token": ("Token", "Token"),
    "login_failed": ("Token tidak dikenal.", "That token is not valid."),
    "logged_in_as": ("Masuk sebagai {name} ({role})", "Logged in as {name} ({role})"),
    "logout": ("Keluar", "Log out"),
    "role_admin": ("admin", "admin"),
    "role_officer": ("petugas KPPS", "KPPS officer"),
    "role_verifier": ("verifikator", "verifier"),
    "role_adjudicator": ("adjudikator", "adjudicator"),
    # Workspace
    "workspace": ("Ruang verifikasi", "Verification workspace"),
    "scope": ("Wilayah", "Region"),
    "queue": (
        "{n} formulir menunggu di wilayah Anda (termasuk yang sudah Anda entri).",
        "{n} forms wait in your region (including any you have entered).",
    ),
    "statistics": ("Statistik verifikator", "Verifier statistics"),
    "task_n": ("Tugas {n}", "Task {n}"),
    "entry_help": (
        "Ketik setiap angka seperti tertulis di potongan foto. Anda tidak melihat bacaan mesin "
        "atau entri orang lain. Angka yang tidak dapat Anda baca (tercoreng, terpotong "
        "lipatan): centang Tidak terbaca di barisnya; angka itu tidak diterbitkan sebelum "
        "dibaca orang.",
        "Type each number as written in its crop. You see neither the machine's reading nor "
        "anyone else's entry. A number you cannot read (smudged, cut by the fold): tick Cannot "
        "read on its line; it is not published until someone reads it.",
    ),
    "adjudication_help": (
        "Dua entri tidak sepakat, tidak dapat dibaca, atau melanggar aturan. Baris yang berbeda "
        "ditandai; entri Anda yang menentukan. Bila Anda juga tidak dapat membaca suatu angka, "
        "centang Tidak terbaca: foto halamannya dikirim kembali ke petugas KPPS untuk difoto "
        "ulang, dan formulir ini tidak diputuskan.",
        "The two entries disagree, could not be read, or break a rule. Differing lines are "
        "marked; your entry decides. If you cannot read a number either, tick Cannot read: the "
        "photo of its page is sent back to the KPPS officer for a new one, and the form is not "
        "decided.",
    ),
    "field_unreadable": ("Tidak terbaca", "Cannot read"),
    "marked_unreadable": ("tak terbaca", "unreadable"),
    "your_entry": ("Entri Anda", "Your entry"),
    "entry_by": ("Entri {name}", "{name}'s entry"),
    "entries_differ": ("Entri berbeda: putuskan", "Entries differ: decide"),
    "reason_differ": (
        "{field}: kedua entri berbeda",
        "{field}: the two entries differ",
    ),
    "reason_unread": (
        "{field}: kedua verifikator tidak dapat membacanya",
        "{field}: neither verifier could read it",
    ),
    "whole_photo": ("foto utuh", "whole photo"),
    "save_entry": ("Simpan entri", "Save entry"),
    "keyboard_help": (
        "Enter: isian berikut · ↑/↓: pindah · Enter di isian terakhir: simpan",
        "Enter: next field · ↑/↓: move · Enter on the last field: save",
    ),
    "entry_missing": (
        "isi angka ini, atau centang Tidak terbaca",
        "enter this number, or tick Cannot read",
    ),
    "entry_both": (
        "isi angka atau centang Tidak terbaca, bukan keduanya",
        "a number or Cannot read, not both",
    ),
    "entry_invalid": ("angka bulat 0–999", "a whole number 0–999"),
    "entry_saved": (
        "Entri tugas {task} tersimpan: {outcome}.",
        "Entry for task {task} saved: {outcome}.",
    ),
    "outcome_open": ("menunggu verifikator kedua", "waiting for a second verifier"),
    "outcome_verified": ("terverifikasi", "verified"),
    "outcome_adjudication": ("dikirim ke adjudikator", "sent to an adjudicator"),
    "outcome_returned": (
        "tidak diputuskan: foto halaman yang tidak terbaca dikirim kembali ke petugas KPPS",
        "not decided: the photo of the page that cannot be read is sent back to the KPPS officer",
    ),
    "skip_task": ("Lewati formulir ini", "Skip this form"),
    "task_skipped": (
        "Tugas {task} dilewati: tempatnya untuk orang lain. Tugas ini kembali kepada Anda "
        "setelah 20 menit, bila tidak ada yang lain.",
        "Task {task} skipped: its place goes to someone else. It comes back to you after 20 "
        "minutes, when nothing else waits.",
    ),
    "unreadable_legend": ("Foto tidak terbaca?", "A photo you cannot read?"),
    "report_unreadable": ("Laporkan foto yang dicentang", "Report the ticked photos"),
    "unreadable_help": (
        "Centang halaman yang fotonya buram, terpotong atau terlalu gelap. Laporan tercatat "
        "atas nama Anda; formulir ini diberikan kepada orang lain (tidak dihitung sebagai "
        "lewati, paling banyak 5 formulir per jam). Foto yang dilaporkan dua orang dikirim "
        "kembali ke petugas KPPS untuk difoto ulang.",
        "Tick the pages whose photo is blurred, cut off or too dark. The report is logged under "
        "your name; the form goes to someone else (not counted as a skip, at most 5 forms an "
        "hour). A photo two people report is sent back to the KPPS officer for a new one.",
    ),
    "task_reported": (
        "Laporan foto tugas {task} tersimpan: formulir ini diberikan kepada orang lain.",
        "Your report on the photos of task {task} is saved: the form goes to someone else.",
    ),
    "photos_sent_back": (
        "{n} foto dikirim kembali ke petugas KPPS untuk difoto ulang.",
        "{n} photo(s) sent back to the KPPS officer for a new one.",
    ),
    "photo_failed_sent_back": (
        "Verifikator tidak dapat membaca foto ini: kirim foto baru halaman {n}.",
        "Verifiers could not read this photo: send a new photo of page {n}.",
    ),
    "photo_failed_refused": (
        "Foto ini tidak dapat dibaca sebagai halaman {n} formulir: kirim foto baru halaman {n} "
        "(seluruh halaman, tegak, terang, tidak buram).",
        "This photo could not be read as page {n} of the form: send a new photo of page {n} "
        "(the whole page, upright, well lit, sharp).",
    ),
    "photo_failed_processing_error": (
        "Foto ini diterima dan tersimpan; server gagal memprosesnya dan akan membacanya ulang. "
        "Tidak perlu mengirim ulang.",
        "This photo was received and is stored; the server failed to process it and will read "
        "it again. No need to send it again.",
    ),
    "photo_failed_lost_from_store": (
        "Server kehilangan file foto ini: kirim ulang foto halaman {n} yang sama bila masih ada "
        "di ponsel, atau foto baru.",
        "The server lost this photo's file: send the same photo of page {n} again if the phone "
        "still has it, or a new one.",
    ),
    "task_gone": (
        "Tugas {task} tidak lagi untuk Anda (sudah diisi orang lain, dilanjutkan, atau diganti): "
        "tidak ada yang dilewati. Berikut formulir Anda sekarang.",
        "Task {task} is no longer yours (entered by others, moved on, or replaced): nothing was "
        "skipped. Here is your form now.",
    ),
    "held_until": (
        "Formulir ini disimpan untuk Anda sampai {time}.",
        "This form is kept for you until {time}.",
    ),
    "entry_already_saved": (
        "Entri Anda untuk tugas {task} sudah tersimpan sebelumnya; kiriman yang sama tidak "
        "disimpan dua kali.",
        "Your entry for task {task} was saved already; sending it again saves nothing twice.",
    ),
    "entry_not_saved": (
        "Entri tugas {task} tidak disimpan: formulir itu tidak lagi untuk Anda (tidak lagi "
        "disimpan untuk Anda dan tempatnya diambil orang lain, atau sudah diputuskan). Berikut "
        "formulir Anda sekarang.",
        "Your entry for task {task} was not saved: that form is no longer yours (no longer kept "
        "for you and its place taken by others, or decided already). Here is your form now.",
    ),
    "entry_resumed": (
        "Angka yang Anda ketik sebelum sesi berakhir dikembalikan. Periksa, lalu simpan: belum "
        "ada yang disimpan.",
        "The numbers you typed before your login ended are back. Check them, then save: nothing "
        "is saved yet.",
    ),
    "entry_errors": (
        "{n} isian perlu diperbaiki; angka lainnya tetap seperti yang Anda ketik.",
        "{n} field(s) need correcting; your other numbers are kept as typed.",
    ),
    "hold_ending": (
        "Simpan segera: formulir ini disimpan untuk Anda hanya sampai {time}.",
        "Save soon: this form is kept for you only until {time}.",
    ),
    "hold_lapsed": (
        "Formulir ini tidak lagi disimpan untuk Anda: bila dua orang lain sedang mengisinya, "
        "entri Anda ditolak.",
        "This form is no longer kept for you: if two others are entering it, your entry is "
        "refused.",
    ),
    "no_task": ("Tidak ada tugas di wilayah Anda saat ini.", "No task in your region right now."),
    "stats_help": (
        "Ketidaksepakatan dihitung terhadap angka final; ditandai bila di atas 20% (minimal 5 "
        "entri). Formulir dibagikan secara acak; seseorang boleh melewati paling banyak 5 "
        "formulir per jam, dan melaporkan foto tak terbaca dari paling banyak 5. Angka yang "
        "ditandai tidak terbaca tidak dihitung berbeda.",
        "Disagreement is against the final numbers; flagged above 20% (from 5 entries). Forms "
        "are handed out at random; one may skip at most 5 forms an hour, and report the "
        "photos of at most 5 unreadable. A number marked cannot read is not counted as a "
        "disagreement.",
    ),
    "stats_summary": (
        "{n} verifikator, {flagged} ditandai perlu dicek (di atas, lalu menurut nama).",
        "{n} verifiers, {flagged} flagged for a check (first, then by name).",
    ),
    "stats_page": ("Halaman {page} dari {pages}.", "Page {page} of {pages}."),
    "stats_pages": ("Halaman statistik", "Pages of the statistics"),
    "stats_previous": ("← Halaman sebelumnya", "← Previous page"),
    "stats_next": ("Halaman berikutnya →", "Next page →"),
    "stats_no_page": (
        "Tidak ada halaman {page}: daftar ini {pages} halaman.",
        "There is no page {page}: this list has {pages} pages.",
    ),
    "stats_last_page": ("Ke halaman terakhir", "To the last page"),
    "stats_region": ("Verifikator wilayah (kode)", "Verifiers of the region (code)"),
    "stats_show": ("Tampilkan", "Show"),
    "stats_everyone": ("Semua verifikator", "Every verifier"),
    "verifier": ("Verifikator", "Verifier"),
    "entries": ("Entri", "Entries"),
    "disagreed": ("Berbeda", "Disagreed"),
    "disagreement_rate": ("Tingkat beda", "Disagreement"),
    "median_seconds": ("Median detik", "Median seconds"),
    "skipped_count": ("Dilewati", "Skipped"),
    "reported_count": ("Dilaporkan tak terbaca", "Reported unreadable"),
    "reports_read_count": ("Foto itu dibaca orang lain", "Those photos read by others"),
    "fields_unreadable_count": ("Angka tak terbaca", "Numbers marked unreadable"),
    "flag": ("Tanda", "Flag"),
    "flagged": ("perlu dicek", "check"),
    "no_stats": ("Belum ada entri.", "No entries yet."),
    # Officer
    "officer_title": ("Unggah formulir C.Hasil", "Upload the C.Hasil form"),
    "officer_needs_js": (
        "Halaman ini perlu JavaScript untuk menandatangani foto dengan kunci perangkat.",
        "This page needs JavaScript to sign photos with the device key.",
    ),
    "device_preparing": ("Menyiapkan kunci perangkat…", "Preparing the device key…"),
    "device_ok": ("Kunci perangkat terdaftar: {id}", "Device key registered: {id}"),
    "device_wait": (
        "Kunci perangkat belum terdaftar; dicoba lagi otomatis.",
        "The device key is not registered yet; retrying automatically.",
    ),
    "take_photo": ("Foto halaman {n}", "Photograph page {n}"),
    "up_waiting": ("menunggu dikirim", "waiting to send"),
    "up_sending": ("mengirim…", "sending…"),
    "up_retry": (
        "koneksi gagal; dicoba lagi dalam {s} detik",
        "connection failed; retrying in {s} s",
    ),
    "up_done": ("diterima · kwitansi #{id}", "received · receipt #{id}"),
    "up_duplicate": (
        "sudah diterima sebelumnya · kwitansi #{id}",
        "already received · receipt #{id}",
    ),
    "up_failed": ("ditolak: {reason}", "refused: {reason}"),
    "up_state": ("status: {state}", "state: {state}"),
    "received_photos": ("Foto yang sudah diterima", "Photos received"),
    "receipt": ("kwitansi", "receipt"),
    "none_yet": ("Belum ada.", "None yet."),
    "public_page": ("Halaman publik TPS ini", "This polling station's public page"),
    # A region's changes, each change-log event in words
    "changes_title": ("Perubahan di {region}", "Changes in {region}"),
    "changes_intro": (
        "Setiap perubahan pada TPS di wilayah ini, terbaru dulu, persis seperti tercatat di "
        "log perubahan: nomor urut dan hash tiap catatan bisa dicek di log bertanda tangan.",
        "Every change to a polling station of this region, newest first, exactly as the "
        "change log records it: each record's position and hash can be checked in the "
        "signed log.",
    ),
    "changes_link": ("Perubahan di wilayah ini", "What changed in this region"),
    "changes_nation": ("Semua perubahan", "Every change"),
    "changes_intro_nation": (
        "Setiap catatan log perubahan, terbaru dulu: angka, foto, pemeriksaan, verifikasi, "
        "akun dan snapshot. Nomor urut dan hash tiap catatan bisa dicek di log bertanda tangan.",
        "Every record of the change log, newest first: numbers, photos, checks, verification, "
        "accounts and snapshots. Each record's position and hash can be checked in the signed "
        "log.",
    ),
    "changes_json_nation": ("Seluruh log sebagai JSON", "The whole log as JSON"),
    "changes_none": ("Belum ada perubahan di wilayah ini.", "No changes in this region yet."),
    "changes_older": ("Perubahan lebih lama", "Older changes"),
    "changes_newest": ("Perubahan terbaru", "Newest changes"),
    "changes_json": ("Log wilayah ini sebagai JSON", "This region's log as JSON"),
    "changes_by": ("oleh {who}", "by {who}"),
    "changes_why": ("alasan: {why}", "reason: {why}"),
    "changes_record": ("catatan log #{n}", "log record #{n}"),
    "ev_value_changed": (
        "{field}: diubah dari {before} menjadi {after}",
        "{field}: changed from {before} to {after}",
    ),
    "ev_value_set": ("{field}: diisi {after}", "{field}: set to {after}"),
    "ev_value_cleared": (
        "{field}: dikosongkan (sebelumnya {before})",
        "{field}: cleared (it was {before})",
    ),
    "ev_imported": ("{n} angka diimpor dari {source}", "{n} numbers imported from {source}"),
    "ev_source_changed": (
        "Sumber angka: {before} menjadi {after}",
        "Source of the numbers: {before} became {after}",
    ),
    "ev_photos_changed": (
        "Foto dari {source}: {before} menjadi {after} halaman",
        "Photos from {source}: {before} became {after} pages",
    ),
    "ev_imported_empty": (
        "Terdaftar di {source}, belum ada angka",
        "Listed by {source}, no numbers yet",
    ),
    "ev_photo_received": (
        "Foto halaman {page} diterima (sha256 {sha}…)",
        "Photo of page {page} received (sha256 {sha}…)",
    ),
    "ev_photo_state": ("Foto {photo}: {before} → {after}", "Photo {photo}: {before} → {after}"),
    "ev_form_assessed": (
        "Bacaan mesin diperiksa: {state}",
        "The machine's reading checked: {state}",
    ),
    "ev_findings": ("Aturan diperiksa, temuan: {rules}", "Rules run, findings: {rules}"),
    "ev_findings_none": ("Aturan diperiksa: tanpa temuan", "Rules run: no findings"),
    "ev_entered": (
        "Angka dimasukkan oleh {role} (tugas {task}; hash {sha}…)",
        "Numbers entered by a {role} (task {task}; hash {sha}…)",
    ),
    "ev_marked": ("tidak terbaca: {fields}", "could not be read: {fields}"),
    "ev_escalated": (
        "Tugas {task} ke adjudikator: isian {fields}; aturan {rules}",
        "Task {task} sent to an adjudicator: fields {fields}; rules {rules}",
    ),
    "ev_closed": ("Verifikasi tugas {task} selesai: {outcome}", "Task {task} closed: {outcome}"),
    "ev_revealed": (
        "Isian tugas {task} dibuka ({n} isian, dengan garamnya)",
        "Task {task}'s entries revealed ({n}, with their salts)",
    ),
    "ev_unreadable": (
        "Foto halaman {page} dilaporkan tidak terbaca (tugas {task})",
        "Photo of page {page} reported unreadable (task {task})",
    ),
    "ev_returned": (
        "Tugas {task} dikembalikan ke petugas: halaman {pages} perlu foto baru",
        "Task {task} sent back to the officer: pages {pages} need a new photo",
    ),
    "ev_enrolled": (
        "Akun {name} ({role}) didaftarkan untuk {scope}",
        "Account {name} ({role}) enrolled for {scope}",
    ),
    "ev_page_read": (
        "Foto halaman {page} dibaca mesin (sha256 {sha}…): {n} angka terbaca, {abstained} ragu",
        "Photo of page {page} read by the machine (sha256 {sha}…): numbers read {n}, "
        "abstained {abstained}",
    ),
    "ev_published": (
        "Snapshot {snapshot} diterbitkan (manifest sha256 {sha}…)",
        "Snapshot {snapshot} published (manifest sha256 {sha}…)",
    ),
    "ev_device": (
        "Perangkat {device} didaftarkan untuk akun {account}",
        "Device {device} registered for account {account}",
    ),
    "ev_device_revoked": (
        "Perangkat {device} akun {account} dicabut: {why}",
        "Device {device} of account {account} revoked: {why}",
    ),
    "ev_disabled": ("Akun {account} dinonaktifkan: {why}", "Account {account} disabled: {why}"),
    "ev_reissued": ("Akun {account} diberi token baru", "Account {account} given a new token"),
    "outcome_adjudicated": ("diputuskan adjudikator", "decided by an adjudicator"),
    "form_state_incomplete": ("foto belum lengkap", "photos incomplete"),
    "form_state_accepted": ("diterima", "accepted"),
    "form_state_needs_verification": ("perlu verifikasi orang", "needs people to verify"),
    "form_state_verified": ("terverifikasi", "verified"),
    "form_state_adjudication": ("ke adjudikator", "to an adjudicator"),
}
