"""`rekap serve`, `rekap worker` and `rekap receipt verify`."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import select

from rekap.adapters.keys import (
    DEFAULT_KEY_PATH,
    NotAnEd25519Key,
    SigningKey,
    load_or_create,
    public_key_id,
    unsaved_key,
    verify_signature,
)
from rekap.adapters.photo_files import DEFAULT_PHOTO_ROOT, LocalPhotoStore
from rekap.adapters.photo_store import WrongPhotoStore, check_photo_store, open_photo_store
from rekap.adapters.processing import PhotoProcessor
from rekap.adapters.storage.schema import log_head, photo
from rekap.capture.messages import receipt_message
from rekap.capture.photo_check import PhotoFormat
from rekap.cli.db import DatabaseOption, open_store
from rekap.web.context import PUBLIC_BURST_S, PUBLIC_RATE, AppContext, utc_now
from rekap.web.rate_limit import RateLimiter
from rekap.web.throttled import Throttled

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from rekap.adapters.queue_pruning import IndexBuild

console = Console(stderr=True)
receipt_app = typer.Typer(help="Check upload receipts offline.", no_args_is_help=True)


PHOTOS_CHECKED = 5
"""How many of the newest recorded photos the photo store is looked for at start."""


def _refuse_a_new_key(engine: Engine, key: Path) -> None:
    """A database that holds receipts or signed log heads is served with the key that signed
    them: a server started elsewhere without the key file would make a new one, and sign
    receipts and heads that no one can check against the first (`rekap log verify` would
    find the heads not verifying)."""
    newest_head = select(log_head.c.key_id).order_by(log_head.c.sequence.desc()).limit(1)
    with engine.connect() as connection:
        key_id = connection.execute(newest_head).scalar()
        received = connection.execute(select(photo.c.id).limit(1)).first() is not None
    if key_id is not None or received:
        signed = f"is signed by key {key_id}" if key_id is not None else "holds signed receipts"
        console.print(
            Text(
                f"No server key at {key}, but this database {signed}: copy the server's key "
                "file here or name it with --key (a new key would sign receipts and log heads "
                "no one can check against it; if that key is lost for good, `rekap serve "
                "--new-key` makes one, and signs with it from then on).",
                style="red",
            )
        )
        raise typer.Exit(2)


def build_context(
    db: str | None,
    photos: str,
    key: Path,
    new_key: bool = False,
    signs: bool = True,
    public_rate: float = PUBLIC_RATE,
) -> AppContext:
    """The service's context; exits 2 naming the trouble when the photo store cannot be used
    or is not the one the database's photos are in (every photo a worker took from it would
    be failed as lost, every upload answered 503). A context that ``signs`` nothing (a
    worker's: it gives no receipt and signs no log head) needs no key file: without one it
    holds a key never saved. ``public_rate``: requests a second each network address may make
    of the public routes (in bursts of ten seconds' worth)."""
    store = open_store(db)
    try:
        files = open_photo_store(photos, create_root=False)
    except ValueError as error:
        console.print(Text(f"--photos {photos}: {error}", style="red"))
        raise typer.Exit(2) from None
    if isinstance(files, LocalPhotoStore):
        _make_photo_folder(files.root)
    if not signs and not key.exists():
        signing = unsaved_key()
    else:
        made = not key.exists()
        if made and not new_key:
            _refuse_a_new_key(store.engine, key)
        signing = _server_key(key)
        if made:
            console.print(
                Text(
                    f"No server key at {key}: a new one was made (key id {signing.key_id}). "
                    "Keep a copy of it: it signs every receipt and log head from now on, and a "
                    "server started without it refuses to make another.",
                    style="yellow",
                )
            )
    limiter = RateLimiter(public_rate, max(1, round(public_rate * PUBLIC_BURST_S)))
    context = AppContext(store.engine, signing, files, public_limiter=limiter)
    waiting = context.photos.newest_waiting(PHOTOS_CHECKED)
    try:
        check_photo_store(files, [(sha, PhotoFormat(kind).suffix) for sha, kind in waiting])
    except (OSError, WrongPhotoStore) as error:
        said = f"The photo store {photos} cannot be used: {error}."
        if isinstance(error, WrongPhotoStore):
            said += (
                " Every `rekap serve` and `rekap worker` of one database needs the same "
                "--photos (one folder they all reach, or one s3:// address)."
            )
        console.print(Text(said, style="red"))
        raise typer.Exit(2) from None
    return context


def _server_key(key: Path) -> SigningKey:
    """The server's key from ``key`` (made there when there is none); exits 2 naming the
    trouble when the file holds no usable key or cannot be read or written."""
    try:
        return load_or_create(key)
    except (NotAnEd25519Key, OSError) as error:
        console.print(Text(f"--key {key}: the server key cannot be used: {error}", style="red"))
        raise typer.Exit(2) from None


def _make_photo_folder(root: Path) -> None:
    """The photo folder is made at start when it is not there (a first start); from then on
    the store makes it no more (``create_root=False``): a volume unmounted while the service
    runs must not have photos written onto the disk beneath it, to be hidden when it is
    mounted again."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        console.print(Text(f"--photos {root}: {error}", style="red"))
        raise typer.Exit(2) from None


def build_processor(context: AppContext, claim_timeout: float = 300.0) -> PhotoProcessor:
    from rekap.reading.digits import OnnxDigitClassifier
    from rekap.reading.pipeline import PageReader

    reader = PageReader(OnnxDigitClassifier())
    return PhotoProcessor(
        context.engine,
        context.log,
        context.photos,
        context.files,
        lambda data, page: reader.read(data, expected_page=page),
        context.form,
        context.election,
        context.tree,
        timedelta(seconds=claim_timeout),
    )


def run_workers(
    context: AppContext, count: int, stop: threading.Event, claim_timeout: float = 300.0
) -> list[threading.Thread]:
    """In-process workers for the embedded default: each polls for received photos."""

    def loop() -> None:
        processor: PhotoProcessor | None = None
        pause = Backoff()
        while not stop.is_set():
            try:
                processor = processor or build_processor(context, claim_timeout)
                busy = processor.process_next(utc_now)
            except Exception as error:  # the database away: said, waited out, never the end
                stop.wait(pause.after(error))
                continue
            pause.reset()
            if not busy:
                stop.wait(0.5)

    threads = [threading.Thread(target=loop, name=f"worker-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


class Backoff:
    """How long a worker waits after an error: 1 s, doubling to a minute while errors go on;
    each error is said on stderr (once a minute at most while it repeats)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.throttle = Throttled(60.0)

    def after(self, error: Exception) -> float:
        self.seconds = min(60.0, max(1.0, self.seconds * 2))
        if self.throttle.came() is not None:
            name = threading.current_thread().name
            said = f"{name}: {type(error).__name__}: {error}; trying again in {self.seconds:.0f} s"
            console.print(Text(said, style="yellow"))
        return self.seconds

    def reset(self) -> None:
        self.seconds = 0.0
        self.throttle.reset()


def paced(
    process: Callable[[int], object], sleep: Callable[[float], object] = time.sleep
) -> Callable[[int], None]:
    """A queued job's processing that, when it fails (the photo store or the database away),
    says why and waits (1 s, doubling to a minute while failures go on) before the job is
    retried: a worker does not race through the queue meanwhile, claiming each photo only to
    leave it to the sweep, which would delay the whole backlog by the claim timeout. Only a
    photo processed (``process`` returning True) ends the wait: a job that finds its photo
    no longer waiting (the failed job's own retry, its photo still claimed) says nothing of
    the store."""
    pause = Backoff()

    def run(photo_id: int) -> None:
        try:
            processed = process(photo_id)
        except Exception as error:
            sleep(pause.after(error))
            raise
        if processed is not False:
            pause.reset()

    return run


def sign_heads(context: AppContext, every: float, stop: threading.Event) -> None:
    """Sign the change log's head at intervals (and once more on the way out); an error (the
    database away) is said and the next interval tried, the thread goes on."""
    while not stop.wait(every):
        _sign_head(context, f"trying again in {every:.0f} s")
    _sign_head(context, "the head is signed at the next start")


def _sign_head(context: AppContext, then: str) -> None:
    try:
        context.log.sign_head(context.key, utc_now())
    except Exception as error:  # the database away: said; the next interval tries again
        said = f"signing the change log's head: {type(error).__name__}: {error}; {then}"
        console.print(Text(said, style="yellow"))


PhotoDir = Annotated[
    str, typer.Option("--photos", help="Photo folder, or s3://bucket/prefix?endpoint=…")
]
KeyFile = Annotated[Path, typer.Option("--key", help="The server's Ed25519 key file.")]
ClaimTimeout = Annotated[
    float,
    typer.Option(help="Seconds after which a photo claimed by a silent worker is retaken."),
]


SIGN_ON_EXIT_S = 30.0
"""How long a stopping server waits for the change log's head to be signed."""

SERVE_ENV = ("REKAP_SERVE_DB", "REKAP_SERVE_PHOTOS", "REKAP_SERVE_KEY", "REKAP_SERVE_PUBLIC_RATE")


def app_from_environment() -> FastAPI:
    """The service of one of several HTTP processes (``rekap serve --processes N``): the same
    database, photo store and key as the process that started it, passed in the environment."""
    from rekap.web.app import create_app

    db, photos, key, public_rate = (os.environ[name] for name in SERVE_ENV)
    return create_app(build_context(db, photos, Path(key), public_rate=float(public_rate)))


def _exit_on_signal(number: int, _frame: object) -> None:
    raise SystemExit(128 + number)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="In-process reader workers (0: none).")] = 1,
    processes: Annotated[
        int,
        typer.Option(
            min=1, help="HTTP processes sharing the port (uploads scale with them; 1: this one)."
        ),
    ] = 1,
    db: DatabaseOption = None,
    photos: PhotoDir = str(DEFAULT_PHOTO_ROOT),
    key: KeyFile = DEFAULT_KEY_PATH,
    claim_timeout: ClaimTimeout = 300.0,
    sign_every: Annotated[
        float, typer.Option(help="Seconds between signatures of the change log's head.")
    ] = 60.0,
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key",
            help="Make a server key at --key although the database holds receipts or heads "
            "signed by another (that key lost for good).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="The proxies (addresses or networks, comma-separated; '*' for any) whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed: the client's address then "
            "limits public reads, and HTTPS marks the login cookie Secure. Default: "
            "$FORWARDED_ALLOW_IPS, else this machine (127.0.0.1,::1).",
        ),
    ] = None,
    public_rate: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Requests a second each client address may make of the public pages and "
            "open data (bursts of ten seconds' worth); more are answered 429 with Retry-After.",
        ),
    ] = PUBLIC_RATE,
) -> None:
    """Run the HTTP service (API under /api/v1) with in-process reader workers."""
    import uvicorn

    from rekap.web.app import create_app

    context = build_context(db, photos, key, new_key, public_rate=public_rate)
    stop = threading.Event()
    run_workers(context, workers, stop, claim_timeout)
    signer = threading.Thread(
        target=sign_heads, args=(context, sign_every, stop), name="sign-heads", daemon=True
    )
    signer.start()
    console.print(f"rekap serving on http://{host}:{port} (API docs: /api/v1/docs)")
    # uvicorn stops gracefully on SIGTERM and then raises the signal again, under the handler
    # found before it: the default one ended the process at once, before the clean-up below
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        # a proxy's X-Forwarded-* are believed only from --forwarded-allow-ips
        if processes == 1:
            app = create_app(context)
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="warning",
                proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips,
            )
        else:  # the reader workers and the head signing stay in this process
            url = context.engine.url.render_as_string(hide_password=False)
            told = (url, photos, str(key), repr(public_rate))
            os.environ.update(zip(SERVE_ENV, told, strict=True))
            uvicorn.run(
                "rekap.cli.serve:app_from_environment",
                factory=True,
                workers=processes,
                host=host,
                port=port,
                log_level="warning",
                proxy_headers=True,
                forwarded_allow_ips=forwarded_allow_ips,
            )
    finally:
        stop.set()
        # the head signed once more on the way out: the process must not end before it is
        signer.join(timeout=SIGN_ON_EXIT_S)


def worker(
    db: DatabaseOption = None,
    photos: PhotoDir = str(DEFAULT_PHOTO_ROOT),
    key: KeyFile = DEFAULT_KEY_PATH,
    once: Annotated[bool, typer.Option("--once", help="Stop when no photo is waiting.")] = False,
    claim_timeout: ClaimTimeout = 300.0,
) -> None:
    """Process received photos: read, check, accept or send to verification.

    On PostgreSQL this is a procrastinate worker of the `photos` queue (run as many as you
    like, on any machine sharing the database and the photo store); on SQLite it claims
    photos from the database directly."""
    context = build_context(db, photos, key, signs=False)
    processor = build_processor(context, claim_timeout)
    if context.engine.dialect.name == "postgresql":
        from rekap.adapters.queue import (
            ensure_clean_up_index,
            run_worker,
            sweep_at_start,
            worker_app,
        )

        _say_index(ensure_clean_up_index(context.engine))
        # A claim older than the claim timeout is a killed worker's: its photo is queued again.
        grace = timedelta(seconds=claim_timeout)
        app = worker_app(
            context.engine,
            paced(lambda photo_id: processor.process_photo(photo_id, utc_now)),
            utc_now,
            grace,
        )
        swept = sweep_at_start(app, context.engine, utc_now(), grace)
        console.print(
            f"Worker on the procrastinate queue ({swept.retried_jobs} jobs of stopped workers "
            f"put back to run, {swept.ended_jobs} ended as their photo had another; "
            f"{swept.requeued_photos} waiting photos re-queued)."
        )
        run_worker(app, concurrency=1, wait=not once)
        return
    done = 0
    pause = Backoff()
    while True:
        try:
            busy = processor.process_next(utc_now)
        except Exception as error:  # the database away: said, waited out, never the end
            if once:
                raise
            time.sleep(pause.after(error))
            continue
        pause.reset()
        if busy:
            done += 1
            continue
        if once:
            break
        time.sleep(0.5)
    console.print(f"{done} photos processed.")


def _say_index(build: IndexBuild) -> None:
    """Tell the operator when a start built the queue clean-up's index (it takes a while on a
    large queue; jobs keep running meanwhile)."""
    from rekap.adapters.queue_pruning import IndexBuild

    if build is IndexBuild.BUILT:
        console.print("Built the index the hourly clean-up of finished jobs walks.")
    elif build is IndexBuild.REBUILT:
        console.print(
            "Rebuilt the index the hourly clean-up of finished jobs walks (an earlier build "
            "had failed and left it invalid)."
        )


@receipt_app.command("verify")
def verify_receipt(
    receipt: Annotated[Path, typer.Argument(exists=True, help="A receipt saved as JSON.")],
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="Pin the server key (hex).")
    ] = None,
) -> None:
    """Check a receipt's signature offline; exit 1 when it does not verify."""
    from datetime import datetime

    data = json.loads(receipt.read_text(encoding="utf-8"))
    key_hex = public_key or data["public_key"]
    raw = bytes.fromhex(key_hex)
    message = receipt_message(
        data["sha256"],
        data["kode_tps"],
        int(data["page"]),
        datetime.fromisoformat(data["received_at"]),
    )
    good = verify_signature(raw, message, bytes.fromhex(data["signature"]))
    if not good or (data.get("key_id") and data["key_id"] != public_key_id(raw)):
        console.print("[bold red]The receipt does NOT verify.[/]")
        raise typer.Exit(1)
    console.print(
        f"[bold green]Valid receipt[/]: photo {data['sha256'][:16]}… of TPS {data['kode_tps']} "
        f"page {data['page']}, received {data['received_at']}, key {public_key_id(raw)}."
    )
