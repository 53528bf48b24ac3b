@echo off
rem Drag one or more data files onto this file: qy checks them and opens the
rem report (HTML, in Chinese) in the default browser.  A file from Chinese
rem Excel (GB18030/GBK rather than UTF-8) is checked again, read as such.
rem QY_OPEN, when set, names another command to open the report with.  The
rem zip holds this file in GBK, the code page cmd.exe reads batch files in on
rem Chinese Windows.
setlocal
set "QY=%~dp0"
if "%~1"=="" (
	echo 请把要检查的数据文件（CSV）拖到“检查文件.bat”的图标上。
	pause
	exit /b 2
)
set "FINDINGS=%TEMP%\qy-findings.jsonl"
set "ONE=%TEMP%\qy-one.jsonl"
set "REPORT=%TEMP%\qy-report.html"
set STATUS=0
type nul > "%FINDINGS%"
echo 正在检查……
for %%F in (%*) do call :check "%%~F"
"%QY%qy-report.exe" -f html --lang zh "%FINDINGS%" > "%REPORT%"
if errorlevel 2 (
	echo 无法生成检查报告。
	pause
	exit /b 2
)
if defined QY_OPEN (
	%QY_OPEN% "%REPORT%"
) else (
	start "" "%REPORT%"
)
if %STATUS% GEQ 2 pause
exit /b %STATUS%

rem check FILE: appends FILE's findings to FINDINGS and keeps the worst status in STATUS.
:check
"%QY%qy-check.exe" --format json --lang zh "%~1" > "%ONE%"
set RC=%ERRORLEVEL%
find "legacy-encoding" "%ONE%" >nul
if errorlevel 1 goto checked
"%QY%qy-check.exe" --format json --lang zh --encoding gb18030 "%~1" > "%ONE%"
set RC=%ERRORLEVEL%
:checked
type "%ONE%" >> "%FINDINGS%"
if %RC% GTR %STATUS% set STATUS=%RC%
goto :eof
