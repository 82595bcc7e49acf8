# Bash's own line reading, not cat: every line comes back unchanged.
while IFS= read -r line; do
    printf '%s\n' "$line"
done
