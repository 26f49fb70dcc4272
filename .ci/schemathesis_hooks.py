"""schemathesis hooks for .ci/schemathesis: how to make a request body of the
media types schemathesis has no generator for."""

import schemathesis
from hypothesis import strategies as st

# A card's component (POST /cards): random bytes, and bytes after the
# WebAssembly magic and component version, which the host must refuse with a 4xx.
schemathesis.openapi.media_type(
    "application/wasm",
    st.one_of(
        st.binary(max_size=512),
        st.binary(max_size=512).map(lambda rest: b"\0asm\x0d\0\x01\0" + rest),
    ),
)
