#!/usr/bin/env python3
"""Prints each failed test of a TRX file with its whole message (the part tests put diagnostics in,
such as a component's log tail) and the top of its stack trace, so CI output explains a failure."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/2006/05/testmanagement"}
MAX_MESSAGE_LINES = 120
MAX_STACK_LINES = 8


def main(path: str) -> None:
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", NS):
        if r.get("outcome") != "Failed":
            continue
        print(f"FAILED {r.get('testName')} [{r.get('duration', '?')}]")
        msg = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS).splitlines()
        stack = r.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS).splitlines()
        if len(msg) > MAX_MESSAGE_LINES:
            msg = msg[:20] + [f"… {len(msg) - MAX_MESSAGE_LINES} lines left out …"] + msg[-(MAX_MESSAGE_LINES - 20):]
        for line in msg:
            print("  " + line)
        for line in stack[:MAX_STACK_LINES]:
            print("  " + line.strip())


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
