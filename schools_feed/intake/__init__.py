"""The intake layers every way of sending goes through (style.md, "Imports are layered"):

1. ``files``: size, format and encoding checks; bytes to header + raw rows;
2. ``ctf`` and ``rows``: pure parsers from raw values to typed rows with row-numbered messages;
3. ``validation``: rules that need the register (schools, earlier returns, the natural key);
4. the preview and 5. the write live in ``schools_feed.services``.
"""
