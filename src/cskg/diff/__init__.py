"""What changed between two releases (`cskg diff`), and a change applied (`cskg patch`).

- `canonical`: blank nodes named by their content, so that two datasets compare as quads;
- `sides`: a release folder, or a project's sources built in memory, as one side of a diff;
- `changes`: the quads removed and added, grouped by entity for people (text, Markdown) and
  the registry of the formats a diff is written in;
- `patch`: the machine-readable form, RDF Patch, written and read back strictly, and applied.
"""
