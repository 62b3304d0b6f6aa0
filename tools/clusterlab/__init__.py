"""The cluster lab behind tools/cluster (issue 13): common.py and lab.py."""
