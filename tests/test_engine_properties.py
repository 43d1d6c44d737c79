"""Properties of the engine over many configurations (hypothesis)."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from mobicalc.count.layer import compare_layer
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.model.rounding import make_divisible

MODELS = st.sampled_from(["v1", "v2"])
ALPHAS = st.integers(5, 40).map(lambda twentieths: Fraction(twentieths, 20))  # 0.25 ... 2.0
RESOLUTIONS = st.integers(32, 320)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(N=st.integers(1, 4096), dk=st.integers(1, 11), M=st.integers(1, 4096), dp=st.integers(1, 300))
def test_ratio_is_exactly_one_over_n_plus_one_over_dk_squared(N, dk, M, dp):
    layer = compare_layer(N=N, dk=dk, M=M, dp=dp)
    assert layer.ratio == Fraction(1, N) + Fraction(1, dk * dk)
    assert layer.params_ratio == layer.ratio


@FAST
@given(N=st.integers(4, 2048), dk=st.integers(1, 7), alpha=ALPHAS)  # alpha x N >= 1 channel
def test_ratio_under_exact_width_multiplier(N, dk, alpha):
    layer = compare_layer(N=N, dk=dk, dp=7, alpha=alpha, rounding="exact")
    channels = alpha * N
    assert layer.M == layer.N == channels  # M defaults to N
    assert layer.ratio == 1 / channels + Fraction(1, dk * dk)


@FAST
@given(
    model=MODELS, alpha=ALPHAS, resolution=RESOLUTIONS, rounding=st.sampled_from(["keras", "int", "exact"])
)
def test_costs_grow_with_resolution(model, alpha, resolution, rounding):
    smaller = network_cost(model, Settings(alpha=alpha, resolution=resolution, rounding=rounding))
    larger = network_cost(model, Settings(alpha=alpha, resolution=resolution + 1, rounding=rounding))
    assert larger.macs >= smaller.macs


@FAST
@given(
    model=MODELS,
    alpha=ALPHAS,
    resolution=RESOLUTIONS,
    rounding=st.sampled_from(["keras", "int", "divisible-by-8", "exact"]),
)
def test_costs_grow_with_alpha(model, alpha, resolution, rounding):
    # Every rounding rule is non-decreasing in alpha (make_divisible included: see the test below).
    smaller = network_cost(model, Settings(alpha=alpha, resolution=resolution, rounding=rounding))
    larger = network_cost(
        model, Settings(alpha=alpha + Fraction(1, 20), resolution=resolution, rounding=rounding)
    )
    assert larger.macs >= smaller.macs
    assert larger.params >= smaller.params


@FAST
@given(model=MODELS, alpha=ALPHAS)
def test_exact_rounding_scales_each_layer_as_the_paper_says(model, alpha):
    """With real-valued channels: alpha^2 where both channel counts scale, alpha where one does."""
    full = network_cost(model, Settings(rounding="exact"))
    scaled = network_cost(model, Settings(alpha=alpha, rounding="exact"))
    grow = max(alpha, Fraction(1))  # V2's last conv only grows
    for one, other in zip(full.records, scaled.records, strict=True):
        layer = one.layer
        if layer.kind in ("pool", "add"):
            assert other.cost.macs == 0
            continue
        input_scale = Fraction(1) if layer.input.channels == 3 else alpha  # the image has 3 channels
        output_scale = {"dense": Fraction(1), "depthwise": Fraction(1)}.get(layer.kind, alpha)
        if layer.name == "Conv_1" and model == "v2":
            output_scale = grow
        if model == "v2" and layer.name == "predictions":
            input_scale = grow
        assert other.cost.macs == one.cost.macs * input_scale * output_scale, layer.name


@FAST
@given(model=MODELS, alpha=ALPHAS, factor=st.integers(2, 4))
def test_macs_scale_with_rho_squared_where_every_map_scales(model, alpha, factor):
    """At multiples of 32 every feature map scales with the input: conv MACs by rho^2."""
    base = network_cost(model, Settings(alpha=alpha, resolution=32 * 2, rounding="exact"))
    scaled = network_cost(model, Settings(alpha=alpha, resolution=32 * 2 * factor, rounding="exact"))
    for one, other in zip(base.records, scaled.records, strict=True):
        expected = one.cost.macs if one.layer.kind == "dense" else one.cost.macs * factor**2
        assert other.cost.macs == expected


@FAST
@given(model=MODELS, alpha=ALPHAS, resolution=RESOLUTIONS, other=RESOLUTIONS)
def test_params_do_not_depend_on_resolution(model, alpha, resolution, other):
    one = network_cost(model, Settings(alpha=alpha, resolution=resolution))
    two = network_cost(model, Settings(alpha=alpha, resolution=other))
    assert one.totals._replace(macs=0) == two.totals._replace(macs=0)


@FAST
@given(model=MODELS, alpha=ALPHAS, resolution=RESOLUTIONS, include_top=st.booleans())
def test_totals_are_the_sums_of_the_rows(model, alpha, resolution, include_top):
    network = network_cost(model, Settings(alpha=alpha, resolution=resolution, include_top=include_top))
    for field in ("macs", "params", "trainable_params", "non_trainable_params", "weights"):
        assert getattr(network.totals, field) == sum(
            getattr(record.cost, field) for record in network.records
        )
        assert getattr(network.totals, field) == sum(
            getattr(cost, field) for cost in network.breakdown().values()
        )
    assert network.standard.macs >= network.macs
    assert network.standard.params >= network.params


@FAST
@given(value=st.floats(0.01, 10_000))
def test_make_divisible_is_a_multiple_of_8_within_10_percent(value):
    rounded = make_divisible(value)
    assert rounded % 8 == 0
    assert rounded >= 8
    assert rounded >= 0.9 * value


@FAST
@given(value=st.floats(0.01, 10_000), step=st.floats(0, 100))
def test_make_divisible_never_steps_back(value, step):
    assert make_divisible(value + step) >= make_divisible(value)
