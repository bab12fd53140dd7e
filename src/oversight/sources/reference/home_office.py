"""Reference datasets: home_office (being written)."""

from __future__ import annotations

from oversight.sources.reference.dataset import Dataset

DATASETS: tuple[Dataset, ...] = ()
