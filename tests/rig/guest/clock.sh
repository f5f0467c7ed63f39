# The guest clock against the host's: the host asks (a line on the console), in rounds a
# minute apart; each answer carries the guest's clock the moment the question was read
# (the shell's own EPOCHREALTIME: no process started in between). "end" ends it.
stty -echo 2>/dev/null
echo "clock-ready"
while read -r q && [ "$q" != end ]; do
	echo "clock=$q $EPOCHREALTIME"
done
