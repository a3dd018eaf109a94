"""Parameter permutation strategies that expand an Ensemble's params into members."""

from __future__ import annotations

import itertools
import random
import typing as t

from smartsim.error import SSUnsupportedError

StrategyFn = t.Callable[[list[str], list[list[str]], int], list[dict[str, str]]]


def create_all_permutations(
    param_names: list[str], param_values: list[list[str]], _n_models: int = 0
) -> list[dict[str, str]]:
    """Every combination of the parameters' values (``all_perm``)."""
    return [
        dict(zip(param_names, combo, strict=True)) for combo in itertools.product(*param_values)
    ]


def step_values(
    param_names: list[str], param_values: list[list[str]], _n_models: int = 0
) -> list[dict[str, str]]:
    """The i-th value of every parameter for member i (``step``); lists must be equally long."""
    lengths = {len(values) for values in param_values}
    if len(lengths) > 1:
        raise ValueError(
            "The 'step' strategy needs every parameter to have the same number of values; got "
            + ", ".join(f"{n}: {len(v)}" for n, v in zip(param_names, param_values, strict=True))
        )
    return [dict(zip(param_names, combo, strict=True)) for combo in zip(*param_values, strict=True)]


def random_permutations(
    param_names: list[str], param_values: list[list[str]], n_models: int = 0
) -> list[dict[str, str]]:
    """A random sample of ``n_models`` of all permutations (all of them when 0) (``random``)."""
    permutations = create_all_permutations(param_names, param_values)
    if n_models and n_models < len(permutations):
        permutations = random.sample(permutations, n_models)
    return permutations


_STRATEGIES: dict[str, StrategyFn] = {
    "all_perm": create_all_permutations,
    "step": step_values,
    "random": random_permutations,
}


def resolve_strategy(strategy: str | t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Map a strategy name (or a user callable) to the function that applies it."""
    if callable(strategy):
        return strategy
    if strategy in _STRATEGIES:
        return _STRATEGIES[strategy]
    raise SSUnsupportedError(
        f"Permutation strategy {strategy!r} is not supported; use one of "
        f"{sorted(_STRATEGIES)} or a callable"
    )
