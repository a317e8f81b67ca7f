"""Regions (行政区划): the divisions of GB/T 2260 and the statistical codes, six levels from
province to grid (网格), county boundaries, grid polygons and grid members (网格员), and the
point → grid lookup. Loaded from the public data files; grids are imported or, for the demo
county, synthesised. Every other module asks "is X inside the caller's region" through
``regions.scope``, a pure prefix test on canonical codes.
"""
