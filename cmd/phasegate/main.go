// Command phasegate plans and runs the recovery of an estate after a
// ransomware attack.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "phasegate: under construction")
	os.Exit(2)
}
