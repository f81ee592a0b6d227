"""The curated notebooks' kernel: ipykernel, talking to Jupyter over local sockets.

Jupyter's default transport is TCP on localhost, over which ipykernel warns (on every start) that
code and outputs travel unencrypted, and which any user of the machine can connect to. The
notebooks name the kernel ``toolkit`` (installed with the package as
``share/jupyter/kernels/toolkit``), whose provisioner switches the transport to IPC socket files
in Jupyter's private runtime folder before the kernel starts; so JupyterLab, papermill, nbconvert
and ``toolkit run`` all start it the same way, with nothing to warn about. Windows keeps TCP.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

KERNEL_NAME = "toolkit"


def ipc_prefix() -> Path:
    """Return a fresh absolute path prefix for one kernel's IPC socket files.

    Absolute, because the kernel starts in the notebook's folder and the client may not: a
    relative prefix (jupyter_client's default) would make them bind and dial different files.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    return runtime / f"toolkit-{uuid.uuid4().hex[:12]}-ipc"  # the manager removes its files


class LocalIPCProvisioner(LocalProvisioner):
    """A local kernel whose sockets are IPC files (on Linux and macOS), not TCP ports."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None and os.name == "posix" and km.transport == "tcp":
            km.transport = "ipc"
            km.ip = str(ipc_prefix())
        return await super().pre_launch(**kwargs)

    async def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel, except the SIGINT jupyter_client sends before a shutdown.

        jupyter_client interrupts every kernel it shuts down, busy or not; when the signal lands
        while the idle kernel handles the shutdown message, ipykernel logs "KeyboardInterrupt
        caught in kernel" to the console of ``toolkit run``. The shutdown request, then SIGTERM
        and SIGKILL if needed, still follow; an interrupt asked for by a user (JupyterLab's stop
        button) is sent as always.
        """
        km = self.parent
        if signum == signal.SIGINT and getattr(km, "shutting_down", False):
            return
        await super().send_signal(signum)


def install_kernelspec() -> Path:
    """Install the ``toolkit`` kernel into this Python's prefix (idempotent); return its folder.

    A wheel install puts it there itself (``share/jupyter/kernels/toolkit``); an editable
    install (``make install``) does not carry data files, so the Makefile calls this.
    """
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    source = Path(__file__).resolve().parent / "kernelspec"
    target = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    if (target / "kernel.json").is_file() and \
            (target / "kernel.json").read_bytes() == (source / "kernel.json").read_bytes():
        return target
    return Path(KernelSpecManager().install_kernel_spec(str(source), KERNEL_NAME,
                                                        prefix=sys.prefix))


if __name__ == "__main__":  # python -m toolkit.kernel: what `make install` runs
    print(f"installed the toolkit kernel in {install_kernelspec()}")
