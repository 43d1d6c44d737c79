"""Numbers as text, exactly: every digit of a count, and short forms for reading.

Pure functions, shared by messages, the views (titles and notes) and the renderers.
"""

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction

from mobicalc.errors import MobicalcError

DECIMAL = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
"""A number as mobicalc reads one a person writes: ASCII digits with at most one decimal point."""
WHOLE = r"[0-9]+"
"""A whole number as mobicalc reads one: ASCII digits only."""
SPELLING = "digits 0-9 with at most one decimal point: no sign, exponent, separator or other script's digits"
"""The rule of ``read_number``, for messages and docs."""


MAX_CHARACTERS = 1000
"""The longest number read: exact arithmetic on thousands of digits would take minutes."""


class NumberError(MobicalcError):
    """A number written in a way mobicalc does not read; the message says which rule it breaks."""


def too_long(text: str, limit: int, what: str) -> str:
    """The refusal of a number written with more than ``limit`` characters, without echoing it all."""
    return f"{text[:12]}... ({len(text):,} characters) is too long: at most {limit:,} {what}"


def read_number(text: str, what: str = "value", *, whole: bool = False, positive: bool = True) -> Fraction:
    """A positive number a person wrote (an option, an item of a list, a side of a size), exactly.

    One spelling per value, everywhere (docs/cli.md, "Numbers"): ``224``, ``0.75``, ``.5``; a whole
    number is digits only (``128``, not ``128.0``). Signs, exponents (``1e0``), digit separators
    (``1_28``) and other scripts' digits are refused, not guessed at.
    """
    text = text.strip()
    what = f"{what} " if what else ""  # "": the caller names it (click names the option)
    if len(text) > MAX_CHARACTERS:
        raise NumberError(what + too_long(text, MAX_CHARACTERS, "digits" if whole else "characters"))
    if not re.fullmatch(DECIMAL, text):
        if text.startswith("-") and re.fullmatch(DECIMAL, text[1:]):
            raise NumberError(f"{what}{text!r} is negative: give a positive number")
        kind = "a whole number" if whole else "a number"
        rule = "digits 0-9 only" if whole else SPELLING
        raise NumberError(f"{what}{text!r} is not {kind}: write {rule}")
    if whole and not re.fullmatch(WHOLE, text):
        raise NumberError(f"{what}{text!r} is not a whole number: write digits 0-9 only")
    value = Fraction(text)
    if positive and value == 0:
        raise NumberError(f"{what}{text!r} is not positive")
    return value


SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
"""A count's suffixes (``--max-macs 300M``, ``300m``, ``300 M``): powers of 1000, in either case."""
BYTE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
"""A size's units (``--max-peak-memory 8MB``): KB... powers of 1000, KiB... of 1024; the prefix in either case
(kB, KB), the B a capital (a lowercase b is a bit)."""


def read_count(text: str, what: str = "") -> Fraction:
    """A positive count with an optional K/M/G/T suffix (powers of 1000), as budgets take it: ``300M``,
    ``4.3M``, ``4253864``; ``what`` names it in a message ("": the caller does)."""
    text = text.strip()
    what = f"{what} " if what else ""
    suffix = text[-1:].upper() if text[-1:].isalpha() else ""
    number = text[: len(text) - len(suffix)]
    if suffix:  # one space may stand before the suffix, as before a size's unit
        number = number.removesuffix(" ")
    if suffix not in SUFFIXES or len(text) > MAX_CHARACTERS or not re.fullmatch(DECIMAL, number):
        raise NumberError(
            f"{what}{text[:40]!r} is not a count: use digits with an optional K, M, G or T (300M, 4.3M)"
        )
    budget = Fraction(number) * SUFFIXES[suffix]
    if budget == 0:
        raise NumberError(f"{what}{text!r} is not a budget: give a positive count")
    return budget


def read_bytes(text: str, what: str = "") -> Fraction:
    """A positive size in bytes with an optional unit (``BYTE_UNITS``): ``8MB``, ``1.5MiB``, ``500000``."""
    text = text.strip()
    what = f"{what} " if what else ""
    match = re.fullmatch(rf"({DECIMAL}) ?([a-zA-Z]*)", text[: MAX_CHARACTERS + 1])
    unit = match.group(2).lower() if match else ""
    if match and match.group(2).endswith("b"):  # a lowercase b is a bit (8Mb: megabits), not a byte
        raise NumberError(f"{what}{text[:20]!r}: b is a bit; write B for bytes (8MB, 1.5MiB)")
    if match is None or unit not in BYTE_UNITS or len(text) > MAX_CHARACTERS:
        raise NumberError(
            f"{what}{text[:20]!r} is not a size: use digits with an optional B, KB, MB, GB, TB "
            "(powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024): 4MB, 1.5MiB, 500000"
        )
    size = Fraction(match.group(1)) * BYTE_UNITS[unit]
    if size == 0:
        raise NumberError(f"{what}{text!r} is not a budget: give a positive size")
    return size


def significant(value: int | Fraction, digits: int = 6) -> Decimal:
    """``value`` to ``digits`` significant digits, for reading: unlike float(), it never overflows."""
    value = Fraction(value)
    with localcontext(prec=digits):
        return Decimal(value.numerator) / Decimal(value.denominator)


def _decimal_places(denominator: int) -> int | None:
    """How many decimal places 1/denominator needs, or None if its expansion never ends."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return max(twos, fives) if denominator == 1 else None


class Printed(Fraction):
    """A number as a source prints it: exact, and shown with the source's digits.

    >>> Printed("61.0") == 61, exact_decimal(Printed("61.0"))
    (True, '61.0')

    Arithmetic on it gives a plain Fraction; only the number itself keeps its digits.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> "Printed":
        number = super().__new__(cls, text)
        number.text = text.strip()
        return number

    def __repr__(self) -> str:
        return f"Printed({self.text!r})"

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (Printed, (self.text,))

    def __copy__(self) -> "Printed":
        return self

    def __deepcopy__(self, memo: object) -> "Printed":
        return self


def exact_decimal(value: int | Fraction) -> str:
    """All the digits of a count: 1234567 -> '1234567', 1234567/4 -> '308641.75'.

    A fraction with no finite decimal (only the Python API can make one, with an
    alpha such as Fraction(1, 3)) is shown as 'numerator/denominator'; a ``Printed``
    number with the digits its source printed ('61.0').
    """
    if isinstance(value, Printed):
        return value.text
    if isinstance(value, int) or value.denominator == 1:
        return str(int(value))
    places = _decimal_places(value.denominator)
    if places is None:
        return str(value)
    text = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-places]}.{text[-places:]}"


def grouped(value: int | Fraction) -> str:
    """Exact count with thousands separators: 568740352 -> '568,740,352'."""
    text = exact_decimal(value)
    if "/" in text:
        return text
    whole, _, decimals = text.partition(".")
    whole = f"{int(whole):,}"
    return f"{whole}.{decimals}" if decimals else whole


def _four_digits(value: int | Fraction) -> str:
    """Like '%.4g' (4 significant digits, no trailing zeros), for any size: float() would overflow."""
    rounded = significant(value, 4).normalize()
    return f"{rounded:f}" if -5 <= rounded.adjusted() < 4 else f"{rounded:g}"


def human(value: int | Fraction) -> str:
    """Short form for reading, never for computing: 568740352 -> '568.7M'."""
    for limit, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        scaled = Fraction(value) / limit
        if abs(significant(scaled, 4)) >= 1:  # after rounding: 999,950 is 1M, not 1000K
            return _four_digits(scaled) + suffix
    return exact_decimal(value) if isinstance(value, int) else _four_digits(value)


def human_bytes(value: int | Fraction) -> str:
    """A byte count for reading, in powers of 1000: 4816896 -> '4.817 MB', 992 -> '992 B'."""
    text = human(value)
    return f"{text[:-1]} {text[-1]}B" if text[-1:] in ("K", "M", "G", "T") else f"{text} B"


def _fixed(rounded: int, places: int) -> str:
    """``rounded`` / 10**places with every one of its ``places`` decimals."""
    digits = str(abs(rounded)).rjust(places + 1, "0")
    return f"{'-' * (rounded < 0)}{digits[:-places]}.{digits[-places:]}"


def percent(share: int | Fraction) -> str:
    """A share as a percentage to 2 decimals, never rounded into saying something else: a share just
    over or under 1 keeps the digits that show it is not 100%, a tiny one reads as below 0.01%.

    >>> percent(Fraction(1, 8)), percent(Fraction(1, 10**9)), percent(1 + Fraction(1, 10**6))
    ('12.50%', '<0.01%', '100.0001%')
    """
    value = Fraction(share) * 100
    places = 2
    rounded = round(value * 10**places)  # half to even, exactly
    if value and not rounded:
        return "<0.01%" if value > 0 else ">-0.01%"
    while value != 100 and rounded == 100 * 10**places:  # 100.00% would say exactly the budget
        places += 1
        rounded = round(value * 10**places)
    return f"{_fixed(rounded, places)}%"


def quantity(number: int, noun: str) -> str:
    """A count of something, in the singular for one: ``1 layer``, ``2 layers``, ``0 layers``."""
    return f"{number:,} {noun}{'s' * (number != 1)}"


def share(part: int | Fraction, whole: int | Fraction) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def measure(value: float, digits: int = 3) -> str:
    """A measured or estimated number to ``digits`` significant digits, never in scientific notation.

    >>> measure(45.16), measure(0.1131), measure(1.1), measure(157.4), measure(0.9996)
    ('45.2', '0.113', '1.10', '157', '1.00')
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if abs(round(value, digits - 1 - magnitude)) >= 10 ** (magnitude + 1):  # 0.9996 rounds to 1.00
        magnitude += 1
    return f"{value:.{max(0, digits - 1 - magnitude)}f}"


TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def duration(seconds: float) -> str:
    """A time in seconds for reading, in the largest unit that leaves at least 1.

    >>> duration(0.0126), duration(0.000812), duration(2.5), duration(0.0009996)
    ('12.6 ms', '812 µs', '2.50 s', '1.00 ms')
    """
    for scale, unit in TIME_UNITS:
        if abs(seconds) >= scale * 0.9995:  # what rounds to 1000 of a unit is 1.00 of the next
            return f"{measure(seconds / scale)} {unit}"
    return f"{measure(seconds / 1e-9)} ns" if seconds else "0 s"
