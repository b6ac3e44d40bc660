"""The API contract is checked with buf: lint (every element documented, standard names) and no
breaking change against the committed baseline, so v1 stays v1 (docs/api.md, "Changing the contract").

buf comes from the `buf-bin` dev dependency and runs offline: the protos import the well-known types,
which buf carries itself, and a few googleapis files (google/api/field_behavior.proto,
google/rpc/status.proto), which buf.yaml takes from build/googleapis, copied there from the installed
googleapis-common-protos wheel (isthmus.platform.protogen.stage_googleapis).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from isthmus.platform import protogen

REPO_ROOT = Path(__file__).resolve().parents[2]
BUF_YAML = REPO_ROOT / "buf.yaml"
BASELINE = REPO_ROOT / "buf.baseline.txtpb"


@pytest.fixture(autouse=True, scope="module")
def _googleapis() -> None:
    protogen.stage_googleapis()


def _buf() -> str:
    # Beside the interpreter (the venv's bin, not always on PATH), else on PATH.
    found = Path(sys.executable).with_name("buf")
    if found.is_file():
        return str(found)
    on_path = shutil.which("buf")
    if on_path is None:
        pytest.fail("buf is not installed: it comes with the dev dependencies (requirements.lock, buf-bin)")
    return on_path


def _run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_buf(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr).strip()


def _scratch_copy(tmp_path: Path) -> Path:
    """The workspace (buf.yaml, proto/ and the googleapis files it imports) copied, to break on purpose."""
    shutil.copy(BUF_YAML, tmp_path / "buf.yaml")
    shutil.copytree(REPO_ROOT / "proto", tmp_path / "proto")
    protogen.stage_googleapis(tmp_path / "build" / "googleapis")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new))


# --- lint -------------------------------------------------------------------------------------------


def test_protos_pass_buf_lint() -> None:
    result = _run("lint")
    assert result.returncode == 0, f"buf lint failed:\n{_output(result)}"


def test_lint_fails_on_an_undocumented_field(tmp_path: Path) -> None:
    work = _scratch_copy(tmp_path)
    _edit(
        work / "proto/isthmus/orders/v1/orders.proto",
        "  // Optional. The carrier's tracking number.\n",
        "",
    )
    result = _run("lint", cwd=work)
    assert result.returncode != 0
    assert 'Field "tracking_number" should have a non-empty comment' in _output(result)


def test_no_lint_rule_is_ignored() -> None:
    # Every rpc follows the naming rules (docs/api.md, "House rules"): nothing is exempt, per file or
    # per rule. The one module with a lint setting of its own is the googleapis files, which are not
    # ours to lint.
    config = yaml.safe_load(BUF_YAML.read_text())
    lint = config["lint"]
    assert "ignore" not in lint and "ignore_only" not in lint
    modules = {m["path"]: m for m in config["modules"]}
    assert "lint" not in modules["proto"] and "breaking" not in modules["proto"]
    assert set(modules) == {"proto", "build/googleapis"}
    assert modules["build/googleapis"]["lint"] == {"ignore": ["build/googleapis"]}


def test_the_googleapis_imports_come_from_the_installed_wheel() -> None:
    # Nothing of googleapis is in the repository: buf reads copies in the gitignored build/ that
    # protogen makes from googleapis-common-protos, which ships the .proto files.
    assert not list((REPO_ROOT / "proto").glob("google/**/*.proto"))
    imports = protogen.googleapis_imports()
    assert "google/api/field_behavior.proto" in imports
    assert all(name.startswith(("google/api/", "google/rpc/")) for name in imports)
    staged = protogen.GOOGLEAPIS_STAGE
    for name in imports:
        assert (staged / name).read_text() == (protogen.googleapis_root() / name).read_text()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(staged)], cwd=REPO_ROOT, capture_output=True, timeout=30
    )
    assert ignored.returncode == 0, "build/googleapis must be gitignored"


def test_lint_fails_on_a_new_rpc_with_a_shared_response(tmp_path: Path) -> None:
    work = _scratch_copy(tmp_path)
    _edit(
        work / "proto/isthmus/orders/v1/orders.proto",
        "service OrderService {\n",
        "service OrderService {\n"
        "  // Reopens a cancelled order.\n"
        "  rpc ReopenOrder(GetOrderRequest) returns (Order) {\n"
        '    option (isthmus.common.v1.required_scope) = "orders:write";\n'
        "  }\n",
    )
    result = _run("lint", "--error-format=json", cwd=work)
    assert result.returncode != 0
    found = {json.loads(line)["type"] for line in result.stdout.splitlines()}
    assert {"RPC_REQUEST_STANDARD_NAME", "RPC_RESPONSE_STANDARD_NAME", "RPC_REQUEST_RESPONSE_UNIQUE"} <= found


# --- breaking changes -------------------------------------------------------------------------------


def test_contract_has_no_breaking_change_against_the_baseline() -> None:
    result = _run("breaking", "proto", "--against", str(BASELINE))
    assert result.returncode == 0, (
        "proto/ breaks the v1 contract recorded in buf.baseline.txtpb:\n"
        f"{_output(result)}\n"
        "Put it back, or, if the break is deliberate and allowed, follow docs/api.md "
        '("Changing the contract") to record the new baseline.'
    )


def test_breaking_check_fails_on_a_renamed_field(tmp_path: Path) -> None:
    work = _scratch_copy(tmp_path)
    _edit(
        work / "proto/isthmus/orders/v1/order.proto",
        "string tracking_number = 23;",
        "string tracking_code = 23;",
    )
    result = _run("breaking", "proto", "--against", str(BASELINE), cwd=work)
    assert result.returncode != 0
    assert 'changed name from "tracking_number" to "tracking_code"' in _output(result)


def test_breaking_check_fails_on_a_removed_rpc(tmp_path: Path) -> None:
    work = _scratch_copy(tmp_path)
    _edit(
        work / "proto/isthmus/loyalty/v1/loyalty.proto",
        "  rpc GetProgramme(GetProgrammeRequest) returns (GetProgrammeResponse) {\n"
        '    option (isthmus.common.v1.required_scope) = "loyalty:read";\n'
        "  }\n",
        "",
    )
    result = _run("breaking", "proto", "--against", str(BASELINE), cwd=work)
    assert result.returncode != 0
    assert '"GetProgramme" on service "LoyaltyService" was deleted' in _output(result)


def test_a_documentation_change_is_not_a_breaking_change(tmp_path: Path) -> None:
    work = _scratch_copy(tmp_path)
    _edit(
        work / "proto/isthmus/orders/v1/orders.proto",
        "  // Optional. The carrier's tracking number.\n",
        "  // Optional. The carrier's tracking number, as the carrier prints it.\n",
    )
    result = _run("breaking", "proto", "--against", str(BASELINE), cwd=work)
    assert result.returncode == 0, _output(result)
