"""The presentation layer: between the measures table and every output.

Figures, their verdicts, SPC readings and quality in words (`words`), as one typed `Figure`
(`figure`); series split into runs and summarised (`series`); names of periods, groups and
units (`labels`); one palette and legend (`marks`). The web pages, the report and the CLI only
map these to HTML, SVG/PDF and terminal text, so a figure reads the same in all of them.
"""
