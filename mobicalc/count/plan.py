"""What a network costs at one width, per output pixel: the work a sweep shares.

A layer's MACs are its cost per output pixel times its output pixels; its
parameters do not depend on the resolution at all. So one ``Plan`` serves every
resolution of a sweep, and a configuration's totals are one sum of products.
"""

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from mobicalc.count import conventions
from mobicalc.count.costs import Cost, unit_cost
from mobicalc.count.settings import Settings
from mobicalc.model.architecture import Architecture
from mobicalc.model.kinds import KINDS, STANDARD, Counterpart
from mobicalc.model.layers import Size, square
from mobicalc.model.operators import Blueprint
from mobicalc.model.placing import channel_counts, depth_multiplier
from mobicalc.model.rounding import Count


def add_up(costs: Iterable[Cost]) -> Cost:
    """Field by field; Cost() leads so that no costs at all sum to zero."""
    return Cost(*map(sum, zip(Cost(), *costs, strict=True)))


@dataclass(frozen=True)
class Plan:
    """What a network costs at one width, per output pixel: everything but the resolution.

    A layer's MACs are its cost per output pixel times its output pixels; its
    parameters do not depend on the resolution at all. So one plan serves every
    resolution of a sweep. The standard-convolution side is worked out only
    when asked for: budgets and sweeps never need it.
    """

    blueprints: tuple[Blueprint, ...]
    inputs: tuple[Count, ...]
    """Each layer's input channels."""
    channels: tuple[Count, ...]
    """Each layer's output channels."""
    present: tuple[bool, ...]
    """False for an add layer whose block does not keep its channels (no layer there)."""
    units: tuple[Cost, ...]
    """Each layer's cost per output pixel."""
    convention: conventions.Convention = conventions.KERAS
    """How parameters and FLOPs are counted (the standard side follows it too)."""

    @cached_property
    def macs_per_pixel(self) -> tuple[Count, ...]:
        return tuple(unit.macs for unit in self.units)

    @cached_property
    def parameters(self) -> Cost:
        """The parameters of all layers (MACs left at 0): the same at every resolution."""
        return add_up(self.units)._replace(macs=0)

    @cached_property
    def elementwise_per_pixel(self) -> tuple[tuple[Count, ...], Count, Count] | None:
        """The profiler's elementwise FLOPs (``conventions.elementwise_terms``) as a sum over pixels,
        or None when the convention does not count them.

        (per blueprint, the FLOPs per output pixel of that blueprint; per pixel of the network's input; per
        network, whatever does not scale). A layer's per input pixel terms are put on the blueprint
        before it: an absent add has the size and channels it receives, so that stays exact.
        """
        if not self.convention.counts_elementwise:
            return None
        per_pixel: list[Count] = []
        per_input: Count = 0
        constant: Count = 0
        for blueprint, received, out, present in zip(
            self.blueprints, self.inputs, self.channels, self.present, strict=True
        ):
            if not present:
                per_pixel.append(0)
                continue
            layer = blueprint.template
            before, after, fixed = conventions.elementwise_terms(
                layer.kind, layer.activation, layer.bias, layer.batch_norm, received, out
            )
            if per_pixel:
                per_pixel[-1] += before
            else:
                per_input += before
            per_pixel.append(after)
            constant += fixed
        return tuple(per_pixel), per_input, constant

    def total(self, pixels: Sequence[int], input_pixels: int | None = None) -> Cost:
        """The sum of the per-layer costs at their output pixels, without building records.

        ``input_pixels``: the network input's pixels, needed only when the convention counts
        elementwise FLOPs of a first layer that scale with its input (a pool).
        """
        return self.grouped(range(len(self.units)), len(self.units)).total(pixels, input_pixels)

    def grouped(self, groups: Sequence[int], count: int) -> "Grouped":
        """The per-pixel costs summed over groups of layers (``groups``: each layer's, of ``count``),
        so that layers that share their output pixels at every resolution cost one product."""
        macs: list[Count] = [0] * count
        for group, unit in zip(groups, self.macs_per_pixel, strict=True):
            macs[group] += unit
        fixed = {name: value for name, value in self.parameters._asdict().items() if name not in VARYING}
        fewer = self.convention.fewer_flops_per_mac
        terms = self.elementwise_per_pixel
        if terms is None:
            return Grouped(tuple(macs), None, 0, 0, fixed, fewer)
        per_pixel, per_input, constant = terms
        elementwise: list[Count] = [0] * count
        for group, unit in zip(groups, per_pixel, strict=True):
            elementwise[group] += unit
        return Grouped(tuple(macs), tuple(elementwise), per_input, constant, fixed, fewer)

    @cached_property
    def standard_units(self) -> tuple[Cost, ...]:
        """Per pixel, the standard convolution each layer stands for.

        A depthwise layer stands for its whole pair: one full Dk x Dk convolution
        to its pointwise partner's channels, with the partner's bias and
        batch-norm; the partner then stands for nothing. Other layers are themselves.
        """
        standard = []
        for blueprint, received, unit in zip(self.blueprints, self.inputs, self.units, strict=True):
            layer, index = blueprint.template, blueprint.partner_at
            if layer.pair:
                standard.append(Cost())
            elif KINDS[layer.kind].counterpart is Counterpart.PAIR:
                partner, out = (
                    (layer, received)
                    if index is None
                    else (self.blueprints[index].template, self.channels[index])
                )
                standard.append(
                    self.convention.adjust(
                        unit_cost(
                            STANDARD, square(layer.kernel), received, out, partner.bias, partner.batch_norm
                        ),
                        out,
                        partner.batch_norm,
                    )
                )
            else:
                standard.append(unit)
        return tuple(standard)


def plan(blueprints: tuple[Blueprint, ...], architecture: Architecture, settings: Settings) -> Plan:
    """The per-pixel costs of a walked table at the width (and classes, rounding) of ``settings``."""
    convention = settings.convention
    classes = convention.classifier_outputs(settings.classes or architecture.classes)
    image = settings.input_channels or architecture.input_channels
    multiplier = depth_multiplier(architecture, settings.depth_multiplier)
    channels, present = channel_counts(
        blueprints, architecture, settings.alpha, classes, settings.rounding, convention.min_depth,
        input_channels=image, depth_multiplier=multiplier, scale_fixed=convention.scale_fixed,
    )  # fmt: skip
    inputs = (image, *channels[:-1])
    units = tuple(
        unit_cost(layer.kind, square(layer.kernel), received, out, layer.bias, layer.batch_norm)
        for layer, received, out in zip(
            (blueprint.template for blueprint in blueprints), inputs, channels, strict=True
        )
    )
    if not convention.keeps_parameters:
        units = tuple(
            convention.adjust(unit, out, blueprint.template.batch_norm)
            for unit, out, blueprint in zip(units, channels, blueprints, strict=True)
        )
    return Plan(blueprints, inputs, channels, present, units, convention)


def at_size(unit: Cost, size: Size) -> Cost:
    """A per-pixel cost at a height x width output."""
    return unit._replace(macs=unit.macs * size.height * size.width)


VARYING = ("macs", "elementwise")
"""The fields of a Cost that depend on the resolution."""


class Grouped(NamedTuple):
    """A plan's per-pixel costs summed by groups of layers (``Plan.grouped``): a configuration's totals
    are then one short sum of products over the groups' pixels."""

    macs: tuple[Count, ...]
    elementwise: tuple[Count, ...] | None
    """Per group, the profiler's elementwise FLOPs per pixel; None when the convention counts none."""
    per_input: Count
    constant: Count
    fixed: dict[str, Count]
    """The cost's fields that do not depend on the resolution (the parameters), by name."""
    fewer_flops_per_mac: int

    def total(self, pixels: Sequence[int], input_pixels: int | None = None) -> Cost:
        """The totals at each group's output ``pixels`` (``input_pixels``: the network input's)."""
        if self.elementwise is not None and self.per_input and input_pixels is None:
            raise ValueError("the first layer's elementwise FLOPs scale with the input: give input_pixels")
        (macs,), (elementwise,) = self.columns([pixels], [input_pixels or 0])
        return Cost(macs=macs, elementwise=elementwise, **self.fixed)

    def columns(
        self, pixels: Sequence[Sequence[int]], input_pixels: Sequence[int]
    ) -> tuple[list[Count], list[Count]]:
        """The MACs and the Cost's ``elementwise`` field at many sizes (each group's ``pixels`` and the
        input's, per size): ``total``'s sums, without a Cost each."""
        macs = [sum(map(operator.mul, self.macs, at)) for at in pixels]
        fewer = self.fewer_flops_per_mac  # FLOPs = MACs: -MACs beyond 2 x MACs
        if self.elementwise is None:
            return macs, [-fewer * count for count in macs]
        terms, constant, per_input = self.elementwise, self.constant, self.per_input
        elementwise = [
            sum(map(operator.mul, terms, at)) + constant + per_input * image - fewer * count
            for at, image, count in zip(pixels, input_pixels, macs, strict=True)
        ]
        return macs, elementwise
