"""Reading tables: the built-ins, a user's own, and every way a file can be wrong."""

import pytest

from mobicalc.architecture import ArchitectureError, load, parse
from mobicalc.engine import network_cost

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
