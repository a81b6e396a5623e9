"""Packaging: pyproject.toml holds the metadata; this adds the project's sources to the wheel.

`ontology/`, `data/` and `queries/` (without their expected answers) are copied into the
built package as `cskg/_project/`, so that an installed cskg finds its query library and can
build its release from any folder (`cskg.project`). An editable install finds the repository
itself and copies nothing.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: the project's sources: what a build reads (`cskg.project.PROJECT_FOLDERS`) and the library
SOURCES = ("ontology", "data", "queries")


class BuildWithProject(build_py):
    """`build_py`, then the project's sources into `cskg/_project/` of the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "cskg" / "_project"
        for name in SOURCES:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("expected"))


setup(cmdclass={"build_py": BuildWithProject})
