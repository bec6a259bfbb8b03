@echo off
rem kubectl 1.26 and later run this for `kubectl runai-gateway <TAB>`: put it on the PATH next to
rem kubectl-runai_gateway.exe (krew does not link it; see krew/README.md).
if exist "%~dp0kubectl-runai_gateway.exe" (
  "%~dp0kubectl-runai_gateway.exe" __complete %*
) else (
  kubectl-runai_gateway.exe __complete %*
)
