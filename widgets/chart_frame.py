"""The frame every chart panel shares: a placeholder page, or a header line above the plots.

Index 0 of the stack is the placeholder (shown until there is something to plot), index 1 the
chart page. Chart, equity, risk graph and IV smile panels all lay themselves out this way.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QStackedLayout, QVBoxLayout, QWidget

PLACEHOLDER_PAGE, CHART_PAGE = 0, 1


def placeholder_label(text: str) -> QLabel:
    """Return the centred text a chart panel shows while it has nothing to plot."""
    label = QLabel(text)
    label.setObjectName("panelPlaceholder")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def chart_page(header: QWidget | QLayout, graphics: QWidget) -> QWidget:
    """Return a page with `header` (a title, or a row of title and controls) above `graphics`."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(6, 6, 0, 0)
    layout.setSpacing(2)
    if isinstance(header, QLayout):
        layout.addLayout(header)
    else:
        layout.addWidget(header)
    layout.addWidget(graphics, 1)
    return page


def install_stack(owner: QWidget, placeholder: QWidget, page: QWidget) -> QStackedLayout:
    """Give `owner` a stack of its placeholder (PLACEHOLDER_PAGE) and its chart page (CHART_PAGE)."""
    stack = QStackedLayout()
    stack.addWidget(placeholder)
    stack.addWidget(page)
    owner.setLayout(stack)
    return stack
