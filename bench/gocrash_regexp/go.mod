module dkbench/gocrashregexp

go 1.17
