"""Build hook: compile the translation catalogues (.po → .mo) into every build.

The .po files are committed and the .mo files are not (Makefile: `make compile`); without this
hook a wheel built from a clean checkout would carry no compiled catalogue and serve French and
Chinese pages in English. Babel (already a dependency, through Flask-Babel) does the compiling;
pyproject.toml lists it in ``build-system.requires``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(__file__).parent.glob("advocacy/translations/*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
