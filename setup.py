"""The compiled kernel of the fast parser (analyzer/formats/kernel_c/); everything else is in
pyproject.toml. `optional`: without a C compiler the package still installs and parses every
line with RE2, the reference path (analyzer.formats.compiled.KERNEL is None), about 6x slower;
analyzer.formats.compiled.warn_if_no_kernel says so."""

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
