module github.com/phasegate/phasegate

go 1.26.8
