"""The report's layout on A4 matplotlib figures: flowing text, typeset formulas, tables, axes.

Owns the page geometry and colours, :class:`Doc` (a cursor down the page with page breaks,
'(continued)' headers and a footer; tables that repeat their header on a new page and
explain their '-' cells), the text measuring it wraps with (FreeType advance widths via
matplotlib), the glyph fallback (:func:`clean_text`) and the rewriting of sympy's LaTeX into
what matplotlib's mathtext accepts.  matplotlib is imported inside the functions.

Why not reportlab's Platypus: tried (issue 18 item 5); the plots and formulas, most of a
statement page, would have become raster images (reportlab cannot place a vector
matplotlib figure without a further dependency), and the glyph fallback would stay.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Sequence

from boundcheck.outputs.common import fmt

__all__ = ["Doc", "latex_for_mathtext", "mathtext_ok", "clean_text", "PAGE_W", "PAGE_H", "ML", "MR", "MT", "MB",
           "TEXT_W", "STATUS_COLOURS", "STATUS_FILL", "OUTCOME_COLOURS", "status_colour"]

_LATEX_SUBS = [
    (r"\displaystyle", ""), (r"\textstyle", ""), (r"\scriptstyle", ""), (r"\limits", ""), (r"\nolimits", ""),
    (r"\tfrac", r"\frac"), (r"\dfrac", r"\frac"), (r"\lvert", "|"), (r"\rvert", "|"), (r"\lVert", r"\|"),
    (r"\rVert", r"\|"), (r"\middle|", "|"), (r"\Bigl", ""), (r"\Bigr", ""), (r"\bigl", ""), (r"\bigr", ""),
]


def latex_for_mathtext(tex: str) -> str:
    """Rewrite sympy's LaTeX into the subset matplotlib's mathtext understands."""
    s = tex
    for a, b in _LATEX_SUBS:
        s = s.replace(a, b)
    s = re.sub(r"\\operatorname\{([^{}]*)\}", r"\\mathrm{\1}", s)
    s = re.sub(r"\\text\{([^{}]*)\}", r"\\mathrm{\1}", s)
    s = s.replace("\\ ", "\\;")
    return s.strip()


_MT_CACHE: dict[str, bool] = {}


def mathtext_ok(tex: str) -> bool:
    """True if matplotlib's mathtext parses ``$tex$`` (test render, cached)."""
    if tex in _MT_CACHE:
        return _MT_CACHE[tex]
    from matplotlib.mathtext import MathTextParser
    try:
        MathTextParser("path").parse(f"${tex}$")
        ok = True
    except Exception:  # noqa: BLE001  (mathtext raises ValueError and friends)
        ok = False
    _MT_CACHE[tex] = ok
    return ok


_CHARMAPS: dict[str, set] = {}


def _charmap(family: str) -> set:
    if family not in _CHARMAPS:
        try:
            from matplotlib import font_manager, ft2font
            path = font_manager.findfont(font_manager.FontProperties(family=[family]))
            _CHARMAPS[family] = set(ft2font.FT2Font(path).get_charmap())
        except Exception:  # noqa: BLE001
            _CHARMAPS[family] = set(range(32, 127))
    return _CHARMAPS[family]


_TEXT_SUBS = {"\u2009": " ", "\u202f": " ", "\u00a0": " ", "\u2212": "\u2212", "\u2011": "-", "\t": "    "}


def clean_text(s: Any, family: str = "DejaVu Sans") -> str:
    """Text the font can draw: unknown glyphs → NFKC (𝒟 → D) → '?'."""
    s = "" if s is None else str(s)
    cm = _charmap(family)
    out = []
    for ch in s:
        ch = _TEXT_SUBS.get(ch, ch)
        if ch == "\n" or ord(ch) in cm:
            out.append(ch)
            continue
        alt = unicodedata.normalize("NFKC", ch)
        out.append(alt if alt and all(ord(c) in cm for c in alt) else "?")
    return "".join(out)


_FONTS: dict = {}


_WORD_W: dict = {}


def _text_width(s: str, size: float, family: str = "sans-serif", weight: str = "normal") -> float:
    """Width in inches of plain text ``s`` at ``size`` points (4% safety margin).

    Sum of cached word widths plus spaces (kerning across a space is negligible)."""
    if not s:
        return 0.0
    words = s.split(" ")
    total = 0.0
    for w in words:
        k = (w, family, weight)
        v = _WORD_W.get(k)
        if v is None:
            v = _WORD_W[k] = _raw_width(w, family, weight) if w else 0.0
        total += v
    if len(words) > 1:
        k = (" ", family, weight)
        sp = _WORD_W.get(k)
        if sp is None:
            sp = _WORD_W[k] = _raw_width("a a", family, weight) - _raw_width("aa", family, weight)
        total += sp * (len(words) - 1)
    return total / 100 * size / 72 * 1.04


def _raw_width(s: str, family: str, weight: str) -> float:
    """Advance width in points of ``s`` at 100 pt."""
    key = (family, weight)
    font = _FONTS.get(key)
    if font is None:
        from matplotlib import font_manager, ft2font
        font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties(family=[family], weight=weight)))
        font.set_size(100, 72)
        flags = getattr(getattr(ft2font, "LoadFlags", None), "NO_HINTING", None)
        _FONTS[key] = font = (font, flags if flags is not None else getattr(ft2font, "LOAD_NO_HINTING", 2))
    f, flags = font
    f.set_text(s, 0.0, flags=flags)
    return f.get_width_height()[0] / 64

# ============================================================================ layout
PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
ML, MR, MT, MB = 0.65, 0.65, 0.6, 0.7
TEXT_W = PAGE_W - ML - MR
#: colours of the statuses; a status not listed (a new one) is drawn in grey
STATUS_COLOURS = {"verified": "#1b7f3b", "certified": "#1a4d8f", "refuted": "#b3261e", "unresolved": "#c77700"}
STATUS_FILL = {"verified": "#e3f3e6", "certified": "#e2ebf7", "refuted": "#fbe4e2", "unresolved": "#fff0cc"}
OUTCOME_COLOURS = {"passed": "#1b7f3b", "failed": "#b3261e", "error": "#b3261e", "timeout": "#c77700",
                   "not run": "#666666", "skipped": "#666666", "xfailed": "#1b7f3b", "xpassed": "#c77700"}


def status_colour(status: str) -> str:
    """The colour of a status (grey for one this module does not know)."""
    return STATUS_COLOURS.get(status, "#444444")


class Doc:
    """A flowing layout on A4 matplotlib figures: text, formulas, tables, axes; page breaks.

    ``pdf`` is a ``PdfPages``; ``on_page(pages)`` is called after each page is written
    (progress).  ``cont`` names what a page break continues ('theorem7 (continued)')."""

    def __init__(self, pdf: Any, footer: str, on_page: Callable[[int], None] | None = None) -> None:
        self.pdf = pdf
        self.footer = footer
        self.on_page = on_page
        self.fig = None
        self.pages = 0
        self.y = 0.0
        self.cont = ""
        self._renderer = None
        self.shown_modules: dict[str, str] = {}

    # -- pages
    def new_page(self, cont: str = "") -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        self.finish_page()
        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        FigureCanvasAgg(self.fig)
        self._renderer = self.fig.canvas.get_renderer()
        self.y = PAGE_H - MT
        self.cont = cont
        if cont:
            self.text(cont + " (continued)", size=9, color="#555555", style="italic")
            self.gap(0.05)

    def finish_page(self) -> None:
        if self.fig is None:
            return
        self.pages += 1
        self.fig.text(ML / PAGE_W, 0.35 / PAGE_H, clean_text(self.footer), fontsize=7, color="#777777",
                      parse_math=False)
        self.fig.text(1 - MR / PAGE_W, 0.35 / PAGE_H, f"page {self.pages}", fontsize=7, color="#777777",
                      ha="right", parse_math=False)
        self.pdf.savefig(self.fig)
        self.fig.clear()
        self.fig = None
        if self.on_page is not None:
            self.on_page(self.pages)

    def need(self, h: float) -> None:
        if self.fig is None:
            self.new_page(self.cont)
        elif self.y - h < MB:
            self.new_page(self.cont)

    def gap(self, h: float) -> None:
        self.y -= h

    def room(self) -> float:
        return self.y - MB

    # -- measuring
    def _width(self, s: str, size: float, family: str = "sans-serif", weight: str = "normal",
               math: bool = False) -> float:
        from matplotlib.text import Text
        t = Text(0, 0, s, fontsize=size, family=family, weight=weight, parse_math=math)
        t.set_figure(self.fig)
        return t.get_window_extent(self._renderer).width / self.fig.dpi

    def _wrap(self, s: str, width: float, size: float, family: str = "sans-serif", weight: str = "normal"
              ) -> list[str]:
        """Greedy word wrap measured with the font's advance widths (FreeType, no hinting)."""
        def w_of(t: str) -> float:
            return _text_width(t, size, family, weight)

        lines: list[str] = []
        for para in s.split("\n"):
            line = ""
            for word in para.split(" "):
                cand = word if not line else f"{line} {word}"
                if w_of(cand) <= width:
                    line = cand
                    continue
                if line:
                    lines.append(line)
                while word and w_of(word) > width:  # a word wider than the column: break it
                    k = max(1, int(len(word) * width / max(w_of(word), 1e-9)))
                    while k > 1 and w_of(word[:k]) > width:
                        k -= 1
                    lines.append(word[:k])
                    word = word[k:]
                line = word
            lines.append(line)
        return lines

    # -- elements
    def text(self, s: Any, *, size: float = 9, weight: str = "normal", color: str = "black", x: float = 0.0,
             width: float | None = None, family: str = "sans-serif", style: str = "normal",
             leading: float = 1.32, max_lines: int | None = None) -> int:
        s = clean_text(s, "DejaVu Sans Mono" if family == "monospace" else "DejaVu Sans")
        w = (TEXT_W - x) if width is None else width
        lines = self._wrap(s, w, size, family, weight)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][: max(0, len(lines[-1]) - 2)] + " …"
        lh = size * leading / 72
        for ln in lines:
            self.need(lh)
            self.fig.text((ML + x) / PAGE_W, (self.y - size / 72) / PAGE_H, ln, fontsize=size, weight=weight,
                          color=color, family=family, style=style, parse_math=False, va="baseline")
            self.y -= lh
        return len(lines)

    def heading(self, s: str, size: float = 12, color: str = "#1a1a1a") -> None:
        self.need(size / 72 * 1.6 + 0.35)
        self.gap(0.06)
        self.text(s, size=size, weight="bold", color=color)
        self.gap(0.03)

    def rule(self, color: str = "#bbbbbb") -> None:
        from matplotlib.lines import Line2D
        self.need(0.08)
        self.fig.add_artist(Line2D([ML / PAGE_W, 1 - MR / PAGE_W], [self.y / PAGE_H] * 2, lw=0.6, color=color,
                                   transform=self.fig.transFigure))
        self.y -= 0.08

    def math(self, tex: str | None, fallback: str, *, size: float = 11, x: float = 0.15, label: str = "") -> str:
        """Typeset ``tex`` with mathtext (shrunk to fit); plain ``fallback`` text if it cannot be."""
        w = TEXT_W - x
        lab_w = _text_width(label, size * 0.85) + 0.08 if label else 0.0
        if tex:
            s = latex_for_mathtext(tex)
            if mathtext_ok(s):
                for sz in (size, size * 0.9, size * 0.8, size * 0.7, size * 0.62):
                    try:
                        wid = self._width(f"${s}$", sz, math=True)
                    except Exception:  # noqa: BLE001
                        break
                    if wid <= w - lab_w:
                        h = self._math_height(s, sz)
                        self.need(h + 0.08)
                        base = self.y - h * 0.72 - 0.03
                        if label:
                            self.fig.text((ML + x) / PAGE_W, base / PAGE_H, clean_text(label), fontsize=size * 0.85,
                                          parse_math=False, va="baseline", color="#333333")
                        self.fig.text((ML + x + lab_w) / PAGE_W, base / PAGE_H, f"${s}$", fontsize=sz,
                                      va="baseline")
                        self.y -= h + 0.1
                        return "math"
        self.text((label + " " if label else "") + fallback, size=size * 0.85, x=x, family="monospace")
        return "text"

    def _math_height(self, s: str, size: float) -> float:
        from matplotlib.text import Text
        t = Text(0, 0, f"${s}$", fontsize=size)
        t.set_figure(self.fig)
        return max(t.get_window_extent(self._renderer).height / self.fig.dpi, size / 72 * 1.2)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float], *,
              size: float = 8, aligns: Sequence[str] | None = None, fills: Sequence[str | None] | None = None,
              colours: Sequence[Sequence[str | None]] | None = None, families: Sequence[str] | None = None,
              x: float = 0.0, max_lines: int = 6, show_header: bool = True, dash: str | None = None) -> None:
        """A table; a row that does not fit starts a new page under the repeated header.

        ``dash`` says what a '-' cell means: when any cell is '-' a line "'-': <dash>" is
        printed under the table (every '-' in the report is explained where it appears)."""
        from matplotlib.patches import Rectangle
        tot = sum(widths)
        scale = (TEXT_W - x) / tot if tot > TEXT_W - x else 1.0
        widths = [w * scale for w in widths]
        aligns = aligns or ["left"] * len(headers)
        families = families or ["sans-serif"] * len(headers)
        lh = size * 1.3 / 72
        pad = 0.05

        def cells_of(row: Sequence[Any], bold: bool = False) -> list[list[str]]:
            out = []
            for j, c in enumerate(row):
                txt = c if isinstance(c, str) else fmt(c)
                fam = families[j]
                txt = clean_text(txt, "DejaVu Sans Mono" if fam == "monospace" else "DejaVu Sans")
                lines = self._wrap(txt, widths[j] - 2 * pad, size, fam, "bold" if bold else "normal")
                if len(lines) > max_lines:
                    lines = lines[:max_lines]
                    lines[-1] = lines[-1][:-2] + " …"
                out.append(lines)
            return out

        def draw_row(cells: list[list[str]], bold: bool, fill: str | None, cols: Sequence[str | None] | None
                     ) -> None:
            h = max(len(c) for c in cells) * lh + 0.06
            self.need(h)
            if fill:
                self.fig.add_artist(Rectangle(((ML + x) / PAGE_W, (self.y - h) / PAGE_H), (sum(widths)) / PAGE_W,
                                              h / PAGE_H, transform=self.fig.transFigure, color=fill, lw=0, zorder=-1))
            cx = ML + x
            for j, lines in enumerate(cells):
                al = aligns[j]
                tx = cx + pad if al == "left" else cx + widths[j] - pad
                colr = (cols[j] if cols and cols[j] else "black")
                for k, ln in enumerate(lines):
                    self.fig.text(tx / PAGE_W, (self.y - 0.03 - (k + 0.78) * lh) / PAGE_H, ln, fontsize=size,
                                  ha=al, va="baseline", weight="bold" if bold else "normal", family=families[j],
                                  color=colr, parse_math=False)
                cx += widths[j]
            self.y -= h

        def header() -> None:
            if show_header:
                draw_row(cells_of(headers, True), True, "#e6e6e6", None)

        self.need(lh * 3)
        header()
        for i, row in enumerate(rows):
            cells = cells_of(row)
            h = max(len(c) for c in cells) * lh + 0.06
            if self.y - h < MB:
                self.new_page(self.cont)
                header()
            draw_row(cells, False, fills[i] if fills else ("#f7f7f7" if i % 2 else None),
                     colours[i] if colours else None)
        if any((c if isinstance(c, str) else fmt(c)).strip() == "-" for row in rows for c in row):
            self.text(f"'-': {dash or 'no value'}.", size=max(size - 0.5, 6.5), color="#555555", x=x)

    def axes(self, h: float, n: int = 1, *, wspace: float = 0.9, left: float = 0.55, bottom: float = 0.45,
             top: float = 0.3) -> list:
        self.need(h)
        w_tot = TEXT_W - left
        w = (w_tot - (n - 1) * wspace) / n
        out = []
        for k in range(n):
            x0 = ML + left + k * (w + wspace)
            out.append(self.fig.add_axes([x0 / PAGE_W, (self.y - h + bottom) / PAGE_H, w / PAGE_W,
                                          (h - bottom - top) / PAGE_H]))
        self.y -= h
        return out

    def badge(self, status: str, y: float) -> None:
        """The status, white on its colour, right-aligned at height ``y`` (inches)."""
        self.fig.text(1 - MR / PAGE_W, y / PAGE_H, clean_text(status.upper()), fontsize=11, weight="bold",
                      ha="right", va="baseline", color="white", parse_math=False,
                      bbox=dict(boxstyle="round,pad=0.3", fc=status_colour(status), ec="none"))

    def image_page(self, title: str, make_png: Callable[[str], None]) -> None:
        """One landscape page holding an image made by ``make_png(path)`` (a wide figure)."""
        import os
        import tempfile

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        self.finish_page()
        W, H = PAGE_H, PAGE_W
        fig = Figure(figsize=(W, H))
        FigureCanvasAgg(fig)
        fig.text(ML / W, 1 - 0.55 / H, clean_text(title), fontsize=13, weight="bold", parse_math=False,
                 va="baseline")
        try:
            import matplotlib.image as mpimg
            with tempfile.TemporaryDirectory() as td:
                png = os.path.join(td, "page.png")
                make_png(png)
                img = mpimg.imread(png)
            avail_w, avail_h = W - ML - MR, H - 0.8 - MB
            w = min(avail_w, avail_h * img.shape[1] / img.shape[0])
            h = w * img.shape[0] / img.shape[1]
            ax = fig.add_axes([(W - w) / 2 / W, (MB + (avail_h - h) / 2) / H, w / W, h / H])
            ax.imshow(img, interpolation="antialiased")
            ax.set_axis_off()
        except Exception as exc:  # noqa: BLE001  (a missing or broken figure is said on the page)
            fig.text(0.5, 0.5, clean_text(f"{title}: figure failed: {type(exc).__name__}: {exc}"), ha="center",
                     color=STATUS_COLOURS["refuted"], parse_math=False)
        self.pages += 1
        fig.text(ML / W, 0.35 / H, clean_text(self.footer), fontsize=7, color="#777777", parse_math=False)
        fig.text(1 - MR / W, 0.35 / H, f"page {self.pages}", fontsize=7, color="#777777", ha="right",
                 parse_math=False)
        self.pdf.savefig(fig)
        if self.on_page is not None:
            self.on_page(self.pages)
