#!/usr/bin/env python3
"""Prints each failed test of a TRX file with its whole message (the part tests put diagnostics in,
such as a component's log tail) and the top of its stack trace, so CI output explains a failure."""
import sys
import xml.etree.ElementTree as ET

MAX_MESSAGE_LINES = 120
MAX_STACK_LINES = 8


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child_text(node, *path: str) -> str:
    """Text of the first descendant reached by local element names, ignoring the TRX namespace."""
    for name in path:
        node = next((c for c in node if local(c.tag) == name), None)
        if node is None:
            return ""
    return node.text or ""


def main(path: str) -> None:
    root = ET.parse(path).getroot()
    for r in root.iter():
        if local(r.tag) != "UnitTestResult" or r.get("outcome") != "Failed":
            continue
        print(f"FAILED {r.get('testName')} [{r.get('duration', '?')}]")
        msg = child_text(r, "Output", "ErrorInfo", "Message").splitlines()
        stack = child_text(r, "Output", "ErrorInfo", "StackTrace").splitlines()
        if len(msg) > MAX_MESSAGE_LINES:
            msg = msg[:20] + [f"… {len(msg) - MAX_MESSAGE_LINES} lines left out …"] + msg[-(MAX_MESSAGE_LINES - 20):]
        for line in msg:
            print("  " + line)
        for line in stack[:MAX_STACK_LINES]:
            print("  " + line.strip())


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
