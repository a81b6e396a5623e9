"""The graph seen by other tools: networkx views, graph file formats and analysis.

`cskg.export.graph.to_networkx` turns the release into a `networkx.MultiDiGraph` (a whole-graph
view or a thematic one); `formats` writes it as GraphML, GEXF, JSON, Cytoscape JSON, DOT or an
edge list; `analysis` ranks central entities and follows influence chains. Nothing here is
imported by the query path: networkx is loaded only when a conversion runs.
"""

from __future__ import annotations
