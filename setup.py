"""The compiled kernel of the fast parser (analyzer/formats/kernel_c/); everything else is in
pyproject.toml. `optional`: without a C compiler the package still installs and parses with
numpy and RE2 (analyzer.formats.compiled.KERNEL is None), only 3-4x slower."""

from pathlib import Path

from setuptools import Extension, setup

SOURCES = Path("analyzer/formats/kernel_c")

setup(
    ext_modules=[
        Extension(
            "analyzer.formats._kernel",
            sorted(str(path) for path in SOURCES.glob("*.c")),
            depends=sorted(str(path) for path in SOURCES.glob("*.h")),
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
