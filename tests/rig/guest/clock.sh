# The guest clock against the host's: print it now and after a minute; the host notes
# when each line arrives.
. /tests/lib.sh
echo "clock=$(now)"
sleep 60
echo "clock=$(now)"
