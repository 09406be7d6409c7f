# What python-dotenv reads: stdin holds a JSON list of .env texts; stdout gets, for each, the
# value of KEY as dotenv_values() returns it (variables interpolated, as by default), or null.
import io
import json
import sys
from importlib.metadata import version

from dotenv import dotenv_values

texts = json.load(sys.stdin)
values = [dotenv_values(stream=io.StringIO(text)).get("KEY") for text in texts]
json.dump({"version": version("python-dotenv"), "values": values}, sys.stdout)
