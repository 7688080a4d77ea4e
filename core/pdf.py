"""PDF documents (recaps, acknowledgements, certificates) with a Unicode font shipped in data/fonts."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF

# fpdf2 subsets the font of every PDF through fontTools, which logs each step at INFO.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

# A section of `render_document`: its heading (or none), then its items, each a (label, value) field
# or a paragraph.
Section = tuple[str | None, Iterable[tuple[str, str | None] | str]]

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"


class GuichetPDF(FPDF):
    def __init__(self, title: str, organisation: str | None = None) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.organisation = organisation
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_lang("fr")
        self.set_creator("Guichet")
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.set_font("DejaVu", "B", 15)
        if organisation:
            self.set_font("DejaVu", "", 10)
            self.cell(0, 6, organisation, new_x="LMARGIN", new_y="NEXT")
            self.set_font("DejaVu", "B", 15)
        self.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, f"{self.doc_title} – page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("DejaVu", "B", 12)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self.set_font("DejaVu", "", 10)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def field(self, label: str, value: str | None) -> None:
        self.set_font("DejaVu", "B", 10)
        self.multi_cell(0, 5.5, label, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)
        self.multi_cell(0, 5.5, value or "—", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def render_document(title: str, sections: Iterable[Section], organisation: str | None = None) -> bytes:
    """sections: list of (heading, [(label, value) | str]). Returns the PDF bytes."""
    pdf = GuichetPDF(title, organisation)
    for heading, items in sections:
        if heading:
            pdf.heading(heading)
        for item in items:
            if isinstance(item, tuple):
                pdf.field(*item)
            else:
                pdf.paragraph(item)
    return pdf.to_bytes()
