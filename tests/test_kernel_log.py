"""The kernels that execute the chapters (jupyter-book, papermill) start over TCP on 127.0.0.1 without
transport encryption; the kernel configuration that ``make`` writes into the environment
(``tools/install_env.py``) keeps ipykernel's notice about it out of the build's output, and only it."""

import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import start_new_kernel


def kernel_log(*arguments: str) -> str:
    """What a kernel of this environment, started as jupyter-book and papermill start it, writes to stderr."""
    with tempfile.TemporaryFile("w+") as err:
        km, kc = start_new_kernel(kernel_name="python3", stderr=err, extra_arguments=list(arguments))
        try:
            kc.execute_interactive("1 + 1", timeout=60)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        err.seek(0)
        return err.read()


def test_the_environment_has_the_kernel_configuration():
    assert (Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py").is_file()


def test_a_chapters_kernel_logs_no_transport_notice():
    assert "without encryption" not in kernel_log()


def test_the_kernel_keeps_its_other_messages():
    log = kernel_log("--IPKernelApp.log_level=INFO")
    assert "Starting the kernel at pid" in log
    assert "without encryption" not in log
