"""A photo folder whose volume is unmounted while the service runs: uploads wrote new photos
onto the disk beneath (the folder made again), to be hidden, lost to the workers, once the
volume was mounted back. They are now refused with 503 (the phone sends them again)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.web.app import create_app
from rekap.web.context import AppContext
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service

KODE = "7471011007001"


def test_no_photo_is_written_where_an_unmounted_folder_was(
    service: Service, tmp_path: Path
) -> None:
    root = tmp_path / "volume" / "photos"
    root.mkdir(parents=True)
    context = AppContext(
        service.context.engine,
        load_or_create(tmp_path / "key.pem"),
        LocalPhotoStore(root, create_root=False),  # as `rekap serve` opens it
    )
    officer = service.officer(KODE)
    with TestClient(create_app(context), raise_server_exceptions=False) as client:

        def upload(seed: int) -> int:
            data = synthetic_jpeg(seed)
            answer = client.post(
                f"/api/v1/tps/{KODE}/photos",
                files={"photo": ("p.jpg", data, "image/jpeg")},
                data=officer.form_for(data, 1),
                headers=officer.headers,
            )
            return answer.status_code

        assert upload(81) == 201
        shutil.rmtree(root)  # the volume unmounted
        answer_code = upload(82)
        assert not root.exists()  # nothing written beneath it
        assert answer_code == 503
        root.mkdir()  # mounted again
        assert upload(82) == 201  # the phone's resend
