"""Text that XML 1.0 can hold: one definition for the SVG, map and BPMN writers.

>>> xml_safe("Prüfung\x01 A")
'Prüfung\ufffd A'
"""

from __future__ import annotations

import re

__all__ = ["NOT_XML", "xml_safe"]

#: characters XML 1.0 cannot hold (control characters but tab and line ends, lone surrogates,
#: U+FFFE/U+FFFF): a single one in an activity name makes an XML parser refuse a whole file
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: object) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", str(text))
