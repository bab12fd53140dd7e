"""Community monitoring packs: a borough's monthly stop and search figures for its community
monitoring group, as HTML and tagged PDF, on the report's presentation pieces.

    pack_data(con, area, month)    everything the pack shows, read from the measures table
    render_html(pack, questions)   the pack as HTML (one file, or a page of the site)
    build_pack(warehouse, ...)     writes the HTML and the PDF/UA-1 PDF
    read_questions(path)           the group's questions to the police and answers (CSV, checked)

See docs/community-monitoring.md.
"""

from oversight.pack.build import PackFiles, build_pack, pdf_bytes
from oversight.pack.data import Borough, Pack, PackNotFound, boroughs, months, pack_data, resolve_borough
from oversight.pack.questions import Question, Questions, QuestionsError, read_questions
from oversight.pack.render import render_html, title

__all__ = ["Borough", "Pack", "PackFiles", "PackNotFound", "Question", "Questions", "QuestionsError", "boroughs",
           "build_pack",
           "months", "pack_data", "pdf_bytes", "read_questions", "render_html", "resolve_borough", "title"]
