"""cskg: the knowledge graph of China's cyberspace security industry, and its tool."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cskg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
