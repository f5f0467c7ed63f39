# The guest clock against the host's: the host asks twice, a minute apart (a line on the
# console); each answer carries the guest's clock at the moment the question arrived.
. /tests/lib.sh
stty -echo 2>/dev/null
echo "clock-ready"
for i in 1 2; do
	read -r q || break
	echo "clock=$q $(now)"
done
