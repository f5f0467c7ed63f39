# Stay up until the host asks the guest to shut down.
echo "RIG-READY"
sleep 600
