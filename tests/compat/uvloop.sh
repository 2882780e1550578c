# Python asyncio on uvloop (python3-uvloop, libuv1 loaded RTLD_LOCAL by the import): asyncio.sh's
# server, load and checks with uvloop.install(); also its name resolution through libuv's pool.
ASYNCIO_LOOP=uvloop exec bash tests/compat/asyncio.sh
