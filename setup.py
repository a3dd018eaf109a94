"""Builds the one compiled part: the smartsim-ai Valkey module (see smartsim/_core/aimodule).

Everything else is declared in pyproject.toml. The module is a plain shared library that the
database server loads (Python never imports it), built with the machine's C compiler; when
that fails the package still installs, and the reason is kept for ``smart info``.
"""

from __future__ import annotations

import glob
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

AI_MODULE = "smartsim._core.aimodule.libsmartsim_ai"
SOURCES = sorted(glob.glob("smartsim/_core/aimodule/src/*.c"))


class BuildValkeyModule(build_ext):
    """build_ext that names the module ``libsmartsim_ai.so`` and records a failed build."""

    def get_ext_filename(self, fullname: str) -> str:
        # Called with the full dotted name or only its last part, depending on the caller.
        if fullname.endswith(AI_MODULE.rsplit(".", 1)[1]):
            return os.path.join(*fullname.split(".")) + ".so"
        return super().get_ext_filename(fullname)

    def _failure_files(self, ext: Extension) -> list[str]:
        """Where a failed build is recorded: beside the built module, and in the source tree
        for an editable install (which copies only the module itself there)."""
        places = [os.path.dirname(self.get_ext_fullpath(ext.name))]
        if self.editable_mode or self.inplace:
            places.append(os.path.abspath(os.path.join(*AI_MODULE.split(".")[:-1])))
        return [os.path.join(place, "build-error.txt") for place in places]

    def build_extension(self, ext: Extension) -> None:
        failures = self._failure_files(ext)
        try:
            super().build_extension(ext)
        except Exception as exc:  # no compiler, missing headers...: install without it
            for failure in failures:
                os.makedirs(os.path.dirname(failure), exist_ok=True)
                with open(failure, "w", encoding="utf-8") as file:
                    file.write(f"building the smartsim-ai module failed: {exc}\n")
            self.warn(f"smartsim-ai module not built ({exc}); the AI commands are unavailable")
            return
        for failure in failures:
            if os.path.exists(failure):
                os.remove(failure)


setup(
    ext_modules=[
        Extension(
            AI_MODULE,
            sources=SOURCES,
            extra_compile_args=["-O2", "-std=gnu11", "-fvisibility=hidden"],
            optional=True,
        )
    ],
    cmdclass={"build_ext": BuildValkeyModule},
)
