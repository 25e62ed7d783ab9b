"""The data engine: datatype queries in, full-resolution time-indexed pandas objects out.

Modules, one job each:

- :mod:`~hexoframe.data.plan`: windows below the 65,535-point cap on each channel's grid,
  exact expected counts, the fetch method (``plan_query``, ``choose_method``,
  ``build_requests``);
- :mod:`~hexoframe.data.fetch`: concurrent requests, verification, refetch of subsampled
  answers, stitching (``fetch_plan``, ``fetch_window``);
- :mod:`~hexoframe.data.decode`: JSON, CSV, zip (WAV, ``.hxd``) into numpy;
- :mod:`~hexoframe.data.assemble`: units, time index, Series and DataFrames;
- :mod:`~hexoframe.data.reader`: ``read_hexoskin``, the orchestration of the above.
"""
