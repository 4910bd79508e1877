"""An S3-protocol server on 127.0.0.1 (moto's server mode), fake credentials, a bucket per test."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
# The server answers in ~15 ms: a request that takes 30 s is a hang, to be named, not waited out.
PATIENCE = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2})
Connect = Callable[[], Any]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The server for the whole session, on a free port (port 0: the kernel picks one)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Fake credentials in the environment; no profile or config file of the machine is read."""
    nowhere = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def connect(s3_endpoint: str) -> Connect:
    """Makes a new client of the test server (what a forked worker calls); its fake
    credentials are explicit, so session-wide fixtures need no environment."""

    def new_client() -> Any:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        return session.client("s3", endpoint_url=s3_endpoint, config=PATIENCE)

    return new_client


@pytest.fixture(scope="session")
def s3_client(connect: Connect) -> Any:
    return connect()


def new_bucket(client: Any) -> str:
    name = f"rekap-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """A new, empty bucket for one test."""
    return new_bucket(s3_client)
