# Prove RAM above 4 GiB holds data: fill tmpfs (the kernel takes ZONE_NORMAL pages, which
# are all above 4 GiB here, first) with a pattern and read it back.
normal_free() { awk '/^Node 0, zone/ {z=$4} z=="Normal" && $1=="nr_free_pages" {print $2; exit}' /proc/zoneinfo; }
pattern() { i=0; while [ $i -lt 128 ]; do cat /tmp/pattern; i=$((i + 1)); done; }
sh /tests/sysinfo.sh
yes hvkvm-highmem-pattern | head -c 1048576 > /tmp/pattern
before=$(normal_free)
pattern > /dev/shm/fill
after=$(normal_free)
echo "normal_free_before=$before normal_free_after=$after"
if pattern | cmp -s - /dev/shm/fill; then
	echo "highmem_readback=ok"
else
	echo "highmem_readback=bad"
fi
