"""Packs built from the bundled real data, shared by the pack tests."""

from __future__ import annotations

import pytest

from oversight.pack import build_pack

# A real borough and month of the bundled data (January to December 2018).
BOROUGH, CODE, MONTH = "Lambeth", "E09000022", "2018-12"

QUESTIONS = """borough,raised,question,answered,answer,status
Lambeth,2018-10-10,Why did searches for offensive weapons rise?,2018-11-14,"Two operations, 10-23 September.",answered
Lambeth,2018-11-14,How many section 60 authorisations were made in October and November?,,,outstanding
lambeth,2018-12-12,"Why is the arrest rate lower for Black people searched, by 3.8 points?",,,outstanding
E09000022,2018-09-01,A question the group no longer needs answered,,,withdrawn
Southwark,2018-12-05,Why did searches in Peckham rise in December?,,,outstanding
"""


@pytest.fixture(scope="session")
def questions_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("questions") / "lambeth-questions.csv"
    path.write_text(QUESTIONS, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def lambeth_pack(bundled_built, questions_file, tmp_path_factory):
    """PackFiles of the Lambeth pack for December 2018, with the group's questions."""
    return build_pack(bundled_built, BOROUGH, MONTH, tmp_path_factory.mktemp("packs"), questions=questions_file)
