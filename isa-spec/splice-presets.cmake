# Replace the block between <!-- presets:begin ... --> and <!-- presets:end -->
# of DOC with the contents of TABLE (cmake -DDOC=... -DTABLE=... -P this).
file(READ ${DOC} doc)
file(READ ${TABLE} table)
string(FIND "${doc}" "<!-- presets:begin" begin)
string(FIND "${doc}" "<!-- presets:end -->\n" end)
if(begin EQUAL -1 OR end EQUAL -1)
    message(FATAL_ERROR "${DOC} has no <!-- presets:begin --> ... <!-- presets:end --> block")
endif()
string(LENGTH "<!-- presets:end -->\n" endlen)
math(EXPR after "${end} + ${endlen}")
string(SUBSTRING "${doc}" 0 ${begin} head)
string(SUBSTRING "${doc}" ${after} -1 tail)
file(WRITE ${DOC} "${head}${table}${tail}")
