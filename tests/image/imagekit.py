"""Build and run the repository's Dockerfile with Debian's podman, without any container registry.

No registry is needed: the base image is made from Debian packages with ``debootstrap`` (bookworm
ships Python 3.11) and imported into podman's image store under a tag that names its recipe, so it is
made once per machine. podman's own store is the cache (for root: ``/var/lib/containers/storage``):
the base image, and the builder layer holding the third-party wheels, which is rebuilt only when
``pyproject.toml`` or ``requirements.lock`` change. pip inside the build fetches from the package index
(PyPI, or ``ISTHMUS_IMAGE_INDEX_URL``); the certificates this machine added to its trust store
(``/usr/local/share/ca-certificates``, or the file ``ISTHMUS_IMAGE_CA_BUNDLE`` names) go to the
build's ``CA_BUNDLE`` argument, so a TLS-inspecting proxy works.

Containers run with the ``runc`` runtime on the host's network. Run as a script to build by hand::

    python tests/image/imagekit.py            # prints the image tag
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"  # Python 3.11, the oldest Python Isthmus supports
PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates", "tzdata")
MIRROR = os.environ.get("ISTHMUS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# What the image build leaves out of the base: package caches, docs and translations.
SLIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale")
RUNTIME = "runc"  # crun fails on this kernel's cgroup setup; runc does not
# podman asks for higher limits than an unprivileged sandbox may grant; these are plenty for one service.
ULIMITS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")
BUILD_TIMEOUT = 900


class PodmanUnavailable(Exception):
    """podman (or what it needs) cannot build or run containers here; the message says why."""


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", "--runtime", RUNTIME, *args], capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    return done


def base_tag() -> str:
    recipe = "\n".join([SUITE, MIRROR, *PACKAGES, *SLIM])
    return f"localhost/isthmus-base:{SUITE}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def _exists(image: str) -> bool:
    return podman("image", "exists", image, check=False).returncode == 0


def ensure_base_image() -> str:
    """The Debian base image, made with debootstrap the first time and then taken from podman's store."""
    tag = base_tag()
    if _exists(tag):
        return tag
    if shutil.which("debootstrap") is None:
        raise PodmanUnavailable("debootstrap is not installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="isthmus-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        done = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(rootfs),
                MIRROR,
            ],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
        if done.returncode != 0:
            raise PodmanUnavailable(f"debootstrap failed: {(done.stdout + done.stderr)[-2000:]}")
        for path in SLIM:
            shutil.rmtree(rootfs / path, ignore_errors=True)
            (rootfs / path).mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        )
        imported = subprocess.run(
            ["podman", "import", "--change", 'CMD ["python3"]', "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
        tar.wait()
        if imported.returncode != 0:
            raise PodmanUnavailable(f"podman import failed: {imported.stderr[-2000:]}")
    return tag


def check_podman_runs_containers(image: str) -> None:
    """Raise PodmanUnavailable with podman's own error when it cannot start a container."""
    if shutil.which("podman") is None:
        raise PodmanUnavailable("podman is not installed (apt-get install podman runc)")
    if shutil.which(RUNTIME) is None:
        raise PodmanUnavailable(f"{RUNTIME} is not installed (apt-get install {RUNTIME})")
    done = podman("run", "--rm", "--network", "host", *ULIMITS, image, "true", check=False, timeout=120)
    if done.returncode != 0:
        raise PodmanUnavailable(f"podman cannot run a container: {done.stderr.strip()[-2000:]}")


def ca_bundle() -> str:
    """PEM certificates pip inside the build must trust besides the public ones (may be empty)."""
    named = os.environ.get("ISTHMUS_IMAGE_CA_BUNDLE")
    files = [Path(named)] if named else sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt"))
    return "".join(p.read_text() for p in files)


def build(tag: str, *, base: str, target: str | None = None) -> str:
    """Build the Dockerfile (its default target unless ``target``); return the image id."""
    args = ["build", "--network", "host", *ULIMITS, "--build-arg", f"BASE_IMAGE={base}", "-t", tag]
    bundle = ca_bundle()
    if bundle:
        args += ["--build-arg", f"CA_BUNDLE={bundle}"]
    if os.environ.get("ISTHMUS_IMAGE_INDEX_URL"):
        args += ["--build-arg", f"PACKAGE_INDEX_URL={os.environ['ISTHMUS_IMAGE_INDEX_URL']}"]
    if target:
        args += ["--target", target]
    done = podman(*args, str(ROOT), timeout=BUILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise AssertionError(f"podman build failed:\n{(done.stdout + done.stderr)[-4000:]}")
    return podman("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


def checkout_tag(name: str) -> str:
    """One tag per checkout, so parallel checkouts on one machine do not overwrite each other's image."""
    return f"localhost/{name}:{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


def _image_id(tag: str) -> str:
    return podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()


def replace_image(tag: str, base: str) -> str:
    """Build ``tag`` (the default target) again and drop the images it replaces.

    The builder stage gets a tag of its own (``<tag>-builder``) so that its layers from the previous
    build can be removed too: ``podman rmi`` deletes an image and its untagged parents up to the first
    one still in use, which keeps the shared wheel layer and drops the rest. Without this, every
    source change would leave about 160 MB behind.
    """
    builder_tag = f"{tag}-builder"
    before = {t: _image_id(t) for t in (tag, builder_tag)}
    build(builder_tag, base=base, target="builder")
    image_id = build(tag, base=base)
    for t, old in before.items():
        if old and old != _image_id(t):
            podman("rmi", old, check=False)
    return image_id


if __name__ == "__main__":
    base = ensure_base_image()
    check_podman_runs_containers(base)
    tag = checkout_tag("isthmus")
    replace_image(tag, base)
    print(tag)
    sys.exit(0)
