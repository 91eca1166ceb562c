module agentfast.tokenring.invalid

go 1.26
