"""Pure statistics for Oversight: SPC, intervals, comparisons in words, and suppression.

Functions take numbers, numpy arrays or small pandas frames and never touch the database,
the web app or the file system. Methods and sources: docs/methods.md.
"""

from oversight.stats.compare import (
    compare_counts,
    compare_rolling_year,
    compare_survey_proportions,
    compare_to_average,
    compare_year_on_year,
    count_change,
    gap_against_band,
)
from oversight.stats.disclosure import Suppression, suppress, suppressed_values
from oversight.stats.dispersion import dispersion, dispersion_by_series
from oversight.stats.equivalence import BandTest, survey_gap_against_band
from oversight.stats.intervals import (
    Interval,
    clopper_pearson_interval,
    newcombe_difference,
    poisson_interval,
    rate_interval,
    rate_ratio,
    survey_interval,
    wilson_interval,
)
from oversight.stats.spc import (
    XmrLimits,
    beyond_limits,
    run_of_seven,
    trend_of_seven,
    two_of_three_near_limit,
    xmr_limits,
)
from oversight.stats.spc_classify import classify_points
from oversight.stats.spc_summary import describe_point, summarise_spc

__all__ = [
    "BandTest",
    "Interval",
    "Suppression",
    "XmrLimits",
    "beyond_limits",
    "classify_points",
    "clopper_pearson_interval",
    "compare_counts",
    "compare_rolling_year",
    "compare_survey_proportions",
    "compare_to_average",
    "compare_year_on_year",
    "count_change",
    "describe_point",
    "dispersion",
    "dispersion_by_series",
    "gap_against_band",
    "newcombe_difference",
    "poisson_interval",
    "rate_interval",
    "rate_ratio",
    "run_of_seven",
    "summarise_spc",
    "suppress",
    "suppressed_values",
    "survey_gap_against_band",
    "survey_interval",
    "trend_of_seven",
    "two_of_three_near_limit",
    "wilson_interval",
    "xmr_limits",
]
