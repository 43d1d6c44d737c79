"""Reading tables: the built-ins, a user's own, and every way a file can be wrong."""

import os
import signal

import pytest

from mobicalc.count.network import network_cost
from mobicalc.model import tables as architecture
from mobicalc.model.architecture import ArchitectureError
from mobicalc.model.files import MAX_BYTES
from mobicalc.model.tables import MAX_LAYERS, load, parse

USER_TABLE = """
name = "TinyNet"
resolution = 64
classes = 10
layers = [
  { operator = "conv", kernel = 3, c = 16, s = 2 },
  { operator = "depthwise", kernel = 3, s = 2, padding = [0, 1] },
  { operator = "pointwise", c = 32 },
  { operator = "separable", c = 32, n = 2 },
  { operator = "bottleneck", t = 4, c = 32, s = 1 },
  { operator = "pool" },
  { operator = "classifier" },
]
"""


def test_builtin_tables_read_like_the_papers():
    v1, v2 = load("v1"), load("v2")
    assert [row.operator for row in v1.rows].count("separable") == 9  # 13 blocks, one row of 5
    assert sum(row.n for row in v1.rows if row.operator == "separable") == 13
    assert [(row.t, row.c, row.n, row.s) for row in v2.rows if row.operator == "bottleneck"] == [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]  # fmt: skip


def test_user_table_costs_by_hand(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(USER_TABLE)
    network = network_cost(path)
    # 64 -> conv s2 "same" 32 -> depthwise s2 padded (0, 1) "valid": (32 + 1 - 3) // 2 + 1 = 16.
    expected = [
        3 * 3 * 3 * 16 * 32 * 32,  # conv
        3 * 3 * 16 * 16 * 16,  # depthwise
        16 * 32 * 16 * 16,  # pointwise
        3 * 3 * 32 * 16 * 16, 32 * 32 * 16 * 16,  # separable, first repeat
        3 * 3 * 32 * 16 * 16, 32 * 32 * 16 * 16,  # second repeat
        32 * 128 * 16 * 16, 3 * 3 * 128 * 16 * 16, 128 * 32 * 16 * 16,  # bottleneck: expand, dw, project
        0, 0,  # add, pool
        32 * 10,  # classifier
    ]  # fmt: skip
    assert [record.cost.macs for record in network.records] == expected
    assert network.records[-1].layer.output.channels == 10
    assert network.resolution == 64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layers = [", "invalid TOML"),
        ("name = 'x'", "needs a non-empty 'layers' list"),
        ("layers = []", "needs a non-empty 'layers' list"),
        ("layers = [1]", "layer 1: each layer must be a table"),
        ("layers = [{ operator = 'fancy' }]", "layer 1: field 'operator' is 'fancy'; expected one of: conv,"),
        ("layers = [{ c = 3 }]", "layer 1: missing field 'operator'"),
        ("layers = [{ operator = 'conv' }]", r"layer 1 \(conv\): missing field 'c'"),
        ("layers = [{ operator = 'conv', c = -4 }]", r"layer 1 \(conv\): field 'c' must be a positive integer, got -4"),
        ("layers = [{ operator = 'conv', c = 4.5 }]", "field 'c' must be a positive integer, got 4.5"),
        ("layers = [{ operator = 'conv', c = 4, s = 0 }]", "field 's' must be a positive integer, got 0"),
        ("layers = [{ operator = 'conv', c = 4, t = 6 }]", r"field 't' does not apply \(allowed: "),
        ("layers = [{ operator = 'conv', c = 4, padding = 'full' }]", "field 'padding' must be"),
        ("layers = [{ operator = 'conv', c = 4, padding = [1, -1] }]", "field 'padding' must be"),
        ("layers = [{ operator = 'conv', c = 4, rounding = 'up' }]", "field 'rounding' is 'up'"),
        ("layers = [{ operator = 'conv', c = 4, bias = 1 }]", "field 'bias' must be true or false"),
        ("resolution = 0\nlayers = [{ operator = 'pool' }]", "field 'resolution' must be a positive integer"),
        ("colour = 1\nlayers = [{ operator = 'pool' }]", "unknown top-level field 'colour'"),
        ("layers = [{ operator = 'classifier' }, { operator = 'pool' }]", "classifier must be the last layer"),
        # Layer names: templates, and unique in the network.
        ("layers = [{ operator = 'conv', c = 4, name = 3 }]", r"layer 1 \(conv\): field 'name' must be a non-empty string, got 3"),
        ("layers = [{ operator = 'conv', c = 4, name = '' }]", "field 'name' must be a non-empty string"),
        ("layers = [{ operator = 'conv', c = 4, name = { conv = 'x' } }]", "field 'name' must be a non-empty string, got"),
        ("layers = [{ operator = 'conv', c = 4, name = 'c{block}' }]", r"field 'name' has an unknown placeholder \{block\}; conv rows take: \{count\}, \{repeat\}"),
        ("layers = [{ operator = 'pool', name = 'p{layer}' }]", r"layer 1 \(pool\): field 'name' has an unknown placeholder \{layer\}"),
        ("layers = [{ operator = 'conv', c = 4, name = 'c{' }]", "field 'name' is not a name template"),
        ("layers = [{ operator = 'conv', c = 4, name = 'c{count:x}{repeat:s}' }]", "field 'name' is not a name template"),
        ("layers = [{ operator = 'separable', c = 4, name = { dw = 'x' } }]", "field 'name': part 'dw' is not one of separable's: depthwise, pointwise"),
        ("layers = [{ operator = 'separable', c = 4, name = { pointwise = 5 } }]", "field 'name.pointwise' must be a non-empty string"),
        ("layers = [{ operator = 'conv', c = 4, name = 'input' }]", "layer name 'input' is not allowed"),
        ("layers = [{ operator = 'conv', c = 4, name = 'a/b' }]", "layer name 'a/b' is not allowed"),
        ("layers = [{ operator = 'conv', c = 4, name = 'x' }, { operator = 'pool', name = 'x' }]", r"layer 2 \(pool\): layer name 'x' is already the name of layer 1 \(conv\)$"),
        ("layers = [{ operator = 'conv', c = 4, n = 2, name = 'stem' }]", r"layer 1 \(conv\): layer name 'stem' is already the name of layer 1 \(conv\); give each repeat"),
        ("layers = [{ operator = 'separable', c = 4, name = 'sep{block}' }]", "layer name 'sep1' is already the name of layer 1"),
        ("layers = [{ operator = 'conv', c = 4 }, { operator = 'conv', c = 4, name = 'conv1' }]", r"layer 2 \(conv\): layer name 'conv1' is already"),
        ("layers = [{ operator = 'separable', c = 4 }, { operator = 'bottleneck', t = 2, c = 4, name = { expand = 'block1_depthwise' } }]", r"layer 2 \(bottleneck\): layer name 'block1_depthwise' is already the name of layer 1 \(separable\)"),
        ("names = 'x'\nlayers = [{ operator = 'pool' }]", "names: must be a table"),
        ("names = { sep = 'x' }\nlayers = [{ operator = 'pool' }]", r"names: unknown field 'sep' \(allowed: first_block, conv,"),
        ("names = { first_block = -1 }\nlayers = [{ operator = 'pool' }]", "names: field 'first_block' must be a non-negative integer, got -1"),
        ("names = { first_block = true }\nlayers = [{ operator = 'pool' }]", "names: field 'first_block' must be a non-negative integer"),
        ("names = { bottleneck = 'b{count}' }\nlayers = [{ operator = 'pool' }]", r"names: field 'bottleneck' has an unknown placeholder \{count\}; bottleneck rows take: \{block\}, \{layer\}, \{repeat\}"),
        ("names = { conv = 'c' }\nlayers = [{ operator = 'conv', c = 4 }, { operator = 'conv', c = 4 }]", r"layer 2 \(conv\): layer name 'c' is already the name of layer 1 \(conv\)"),
    ],
)  # fmt: skip
def test_bad_tables_name_file_layer_and_field(text, message):
    with pytest.raises(ArchitectureError, match=f"^my.toml: .*{message}"):
        parse(text, "my.toml")


def test_missing_file(tmp_path):
    with pytest.raises(ArchitectureError, match="no such file"):
        load(tmp_path / "absent.toml")


def test_directory_is_not_a_table(tmp_path):
    with pytest.raises(ArchitectureError, match="is a directory"):
        load(tmp_path)


def test_undecodable_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ArchitectureError, match="cannot read"):
        load(path)


NAMED_TABLE = """
names = { first_block = 0, separable = { depthwise = "dw{block}" }, bottleneck = "b{block}_{layer}" }
layers = [
  { operator = "conv", c = 8, n = 2, name = "stem_{repeat}" },
  { operator = "conv", c = 8 },
  { operator = "separable", c = 8, n = 2 },
  { operator = "bottleneck", t = 1, c = 8, name = { project = "first_project" } },
  { operator = "bottleneck", t = 2, c = 8, n = 2 },
  { operator = "depthwise", name = "last_dw{count}" },
  { operator = "pool" },
  { operator = "classifier", name = "head" },
]
"""


def test_names_come_from_row_templates_then_the_table_scheme_then_defaults(tmp_path):
    path = tmp_path / "named.toml"
    path.write_text(NAMED_TABLE)
    names = [record.layer.name for record in network_cost(path).records]
    assert names == [
        "stem_1", "stem_2", "conv3",  # {repeat} in the row; the default counts every conv layer
        "dw0", "block0_pointwise", "dw1", "block1_pointwise",  # the table's part, else the default
        "b2_depthwise", "first_project", "b2_add",  # the row's own part; no expand when t is 1
        "b3_expand", "b3_depthwise", "b3_project", "b3_add",
        "b4_expand", "b4_depthwise", "b4_project", "b4_add",
        "last_dw1", "pool1", "head",
    ]  # fmt: skip


def test_tables_without_names_keep_the_derived_names(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(USER_TABLE)
    assert [record.layer.name for record in network_cost(path).records] == [
        "conv1", "depthwise1", "pointwise1",
        "block1_depthwise", "block1_pointwise", "block2_depthwise", "block2_pointwise",
        "block3_expand", "block3_depthwise", "block3_project", "block3_add",
        "pool1", "classifier",
    ]  # fmt: skip


# Hostile files: --arch FILE is input from anywhere. Each is a clean ArchitectureError, at once.


@pytest.fixture
def alarm():
    """A read that blocks (a FIFO with no writer) fails the test instead of hanging the suite."""

    def hung(signum, frame):
        raise AssertionError("blocked reading the table")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_fifo_with_no_writer_is_refused_without_blocking(tmp_path, alarm):
    fifo = tmp_path / "net.toml"
    os.mkfifo(fifo)
    with pytest.raises(ArchitectureError, match=r"net.toml: not a regular file \(a FIFO\)$"):
        load(fifo)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device, alarm):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(ArchitectureError, match=rf"^{device}: not a regular file \(a character device\)$"):
        load(device)


def test_a_symlink_loop(tmp_path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    with pytest.raises(ArchitectureError, match=r"a\.toml: cannot read: too many levels of symbolic links$"):
        load(tmp_path / "a.toml")


def test_a_symlink_to_a_table_is_read(tmp_path):
    (tmp_path / "tiny.toml").write_text(USER_TABLE)
    (tmp_path / "link.toml").symlink_to(tmp_path / "tiny.toml")
    assert load(tmp_path / "link.toml").name == "TinyNet"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text(USER_TABLE)
    path.chmod(0)
    with pytest.raises(ArchitectureError, match=r"secret\.toml: cannot read: Permission denied$"):
        load(path)


def test_a_table_of_exactly_1_mib_is_read_and_one_byte_more_is_not(tmp_path):
    path = tmp_path / "big.toml"
    text = USER_TABLE + "#" * (MAX_BYTES - len(USER_TABLE) - 1) + "\n"
    assert MAX_BYTES == 1_048_576 == len(text.encode())
    path.write_text(text)
    assert load(path).name == "TinyNet"
    path.write_text(text + "\n")
    with pytest.raises(
        ArchitectureError, match=r"big.toml: is larger than the 1 MiB a table may be \(1,048,576 bytes\)$"
    ):
        load(path)


def test_a_huge_file_is_refused_after_reading_at_most_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "huge.toml"
    with path.open("wb") as file:
        file.truncate(1 << 40)  # a sparse terabyte: reading it all would never end
    read = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(real_read(fd, n)) or read[-1])
    with pytest.raises(ArchitectureError, match="larger than the 1 MiB a table may be"):
        load(path)
    assert sum(map(len, read)) == MAX_BYTES + 1


def test_a_byte_order_mark_is_not_part_of_the_table(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + USER_TABLE.encode())
    assert load(path).name == "TinyNet"


def test_an_undecodable_file_says_where(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"name = 'caf\xe9'\n")
    with pytest.raises(
        ArchitectureError,
        match=r"latin1.toml: cannot read: not UTF-8 \(invalid continuation byte at byte 11\)$",
    ):
        load(path)


POOL = "\nlayers = [{ operator = 'pool' }]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = " + "[" * 33 + "]" * 33 + POOL, "nests too deep: arrays and inline tables may nest at most 32 levels"),
        ("x = " + "[" * 100_000, "nests too deep"),
        ("x = " + "[" * (MAX_BYTES - 4), "nests too deep"),  # 1 MiB of [: no RecursionError
        ("x = " + "{ a = " * 33 + "1" + "}" * 33 + POOL, "nests too deep"),
        ("x = " + "[{ a = " * 17 + "1" + "}]" * 17 + POOL, "nests too deep"),  # mixed: 34 levels
        ("a" + ".b" * 32 + " = 1" + POOL, "a dotted key has more than 32 parts"),
        ("a" + ".b" * (MAX_BYTES // 3) + " = 1", "a dotted key has more than 32 parts"),  # quadratic in tomllib
        ('"a"' + ' . "b"' * 32 + " = 1" + POOL, "a dotted key has more than 32 parts"),
        ("[" + "a." * 32 + "a]" + POOL, "a dotted key has more than 32 parts"),
        ("x = { " + "a." * 32 + "a = 1 }" + POOL, "a dotted key has more than 32 parts"),
        ("resolution = " + "9" * 1001 + POOL, "a number has more than 1,000 digits"),
        ("resolution = " + "9" * (MAX_BYTES - 20), "a number has more than 1,000 digits"),  # quadratic int()
        ("resolution = " + "9_" * 1000 + "9" + POOL, "a number has more than 1,000 digits"),
        ("resolution = 0x" + "f" * 1000 + POOL, "field 'resolution' has more than 1,000 digits"),
        ("layers = [{ operator = 'conv', c = 0x" + "f" * 900 + " }]", r"layer 1 \(conv\): field 'c' has more than 1,000 digits$"),
        ("layers = [{ operator = 'conv', c = 8, padding = [0, 0x" + "f" * 900 + "] }]",
         "layer 1 \\(conv\\): field 'padding' must be .* at most 1,000 digits\\), got \\[0, a number of more than 1,000 digits\\]$"),
    ],
)  # fmt: skip
def test_nesting_and_digits_are_bounded_before_tomllib(text, message):
    with pytest.raises(ArchitectureError, match=f"^my.toml: {message}"):
        parse(text, "my.toml")


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 32 + "]" * 32 + POOL,  # exactly the limits: through to the next check
        "a" + ".b" * 31 + " = 1" + POOL,
        "resolution = " + "9" * 1000 + POOL,
        "[[x]]\n" * 1000 + POOL,
    ],
)
def test_the_limits_themselves_are_allowed(text):
    try:
        parse(text, "my.toml")
    except ArchitectureError as error:
        assert str(error).startswith("my.toml: unknown top-level field")


def test_brackets_dots_and_digits_in_strings_and_comments_do_not_count():
    text = (
        'name = "' + "[{" * 100 + "a." * 100 + '"\n'
        + "source = '''" + "[" * 100 + "''' # " + "{" * 100 + "\n"
        + 'rounding = "exact" # ' + "9" * 2000 + "\n"
        + '"quoted [ key" = 1\n'
        + POOL
    )  # fmt: skip
    with pytest.raises(ArchitectureError, match="unknown top-level field 'quoted \\[ key'"):
        parse(text, "my.toml")
    assert parse(text.replace('"quoted [ key" = 1\n', ""), "my.toml").name.startswith("[{[{")


def test_recursion_in_tomllib_is_a_clean_error_even_past_the_scan(monkeypatch):
    monkeypatch.setattr(architecture, "check_nesting", lambda text, path: None)
    with pytest.raises(ArchitectureError, match=r"^my.toml: nests too deep \(at most 32 levels\)$"):
        parse("x = " + "[" * 100_000, "my.toml")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("{ operator = 'conv', c = 8, n = 1000000000 }", r"layer 1 \(conv\): n = 1000000000 takes the table past 100,000 layers, the most a table may have$"),
        ("{ operator = 'conv', c = 8, n = " + str(10**30) + " }", f"layer 1 \\(conv\\): n = {10**30} takes the table past 100,000 layers"),
        ("{ operator = 'conv', c = 8, n = 1000 }," * 200, r"layer 101 \(conv\): n = 1000 takes the table past 100,000 layers"),
        ("{ operator = 'conv', c = 8, n = 100001 }", "layer 1 .* past 100,000 layers"),
        ("{ operator = 'separable', c = 8, n = 50001 }", "layer 1 .* past 100,000 layers"),
        ("{ operator = 'bottleneck', t = 6, c = 8, n = 25001 }", "layer 1 .* past 100,000 layers"),
        ("{ operator = 'conv', c = 8, n = 99999 }, { operator = 'pool' }, { operator = 'classifier' }",
         r"layer 3 \(classifier\): n = 1 takes the table past 100,000 layers"),
    ],
)  # fmt: skip
def test_layers_are_counted_before_anything_is_built(rows, message):
    with pytest.raises(ArchitectureError, match=f"^my.toml: {message}"):
        parse(f"layers = [{rows}]", "my.toml")


@pytest.mark.parametrize(
    "row",
    [
        "{ operator = 'conv', c = 8, n = 100000 }",
        "{ operator = 'separable', c = 8, n = 50000 }",
        "{ operator = 'bottleneck', t = 6, c = 8, n = 25000 }",
    ],
)
def test_exactly_100000_layers_are_allowed(row):
    assert MAX_LAYERS == 100_000
    parse(f"layers = [{row}]", "my.toml")


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ArchitectureError) as error:
        parse("rounding = '" + "x" * 100_000 + "'" + POOL, "my.toml")
    assert str(error.value).startswith("my.toml: field 'rounding' is 'xxxxx")
    assert len(str(error.value)) < 200
    with pytest.raises(
        ArchitectureError, match=r"field 'c' must be a positive integer, got an array of 100000 items$"
    ):
        parse("layers = [{ operator = 'conv', c = [" + "1," * 100_000 + "] }]", "my.toml")


def test_a_table_gives_its_shape_channels_and_depth_multiplier():
    from mobicalc.model.tables import parse

    text = (
        "resolution = [192, 256]\ninput_channels = 1\ndepth_multiplier = 2\nlayers = [{ operator = 'pool' }]"
    )
    table = parse(text, "my.toml")
    assert (table.resolution, table.input_channels, table.depth_multiplier) == ((192, 256), 1, 2)
    assert parse("resolution = [64, 64]\nlayers = [{ operator = 'pool' }]", "my.toml").resolution == 64
    assert parse("layers = [{ operator = 'pool' }]", "my.toml").depth_multiplier == 1


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("resolution = [0, 5]", "field 'resolution' must be a positive integer, got 0"),
        (
            "resolution = [5]",
            r"field 'resolution' must be a positive integer or \[height, width\], got \[5\]",
        ),
        ("resolution = [1, 2, 3]", r"field 'resolution' must be a positive integer or \[height, width\]"),
        ("resolution = '192x256'", "field 'resolution' must be a positive integer"),
        ("resolution = [1.5, 2]", "field 'resolution' must be a positive integer, got 1.5"),
        ("depth_multiplier = 0", "field 'depth_multiplier' must be a positive integer, got 0"),
    ],
)
def test_bad_shapes_in_a_table(field, message):
    from mobicalc.model.tables import parse

    with pytest.raises(ArchitectureError, match=f"^my.toml: {message}"):
        parse(f"{field}\nlayers = [{{ operator = 'pool' }}]", "my.toml")
