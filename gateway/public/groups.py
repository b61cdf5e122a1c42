"""The small-group rule, as the public site's modules name it: it lives in
:mod:`gateway.small_groups`, so that the memorandum the site offers
(:mod:`gateway.consultations.memorandum`) folds its groups by the very same rule."""

from __future__ import annotations

from gateway.small_groups import Folded, fold_small, size, total_shown

__all__ = ["Folded", "fold_small", "size", "total_shown"]
